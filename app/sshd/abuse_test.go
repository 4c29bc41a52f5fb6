package sshd_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
	"chatserver/app/sshd"
)

// freezer is a TCP proxy whose traffic can be stopped in both directions
// while both connections stay open: a client that went silent (a laptop
// lid closed, a dead link).
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
}

func newFreezer(t *testing.T, to string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				return
			}
			t.Cleanup(func() { c.Close(); s.Close() })
			go f.pipe(c, s)
			go f.pipe(s, c)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			io.Copy(io.Discard, src) // swallow, never deliver
			return
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	f.frozen = true
	f.mu.Unlock()
}

// TestIdleTimeout: a live client that sends nothing is kept (the server's
// keepalives get answers), one that went silent is cut and logged out.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	// Long enough that a keepalive answer delayed by a loaded machine under
	// -race (the server asks every third of it) never looks like silence.
	cfg.SSHIdleTimeout = 2 * time.Second
	srv := apptest.Start(t, cfg)
	quiet := apptest.LoginSSH(t, srv.SSH, "quiet", nil)
	px := newFreezer(t, srv.SSH)
	gone := apptest.LoginSSH(t, px.ln.Addr().String(), "gone", nil)
	gone.Quiet()
	quiet.Expect("<helperbot> gone has joined the chat room!")
	px.freeze()
	quiet.Expect("<helperbot> gone has left the chat room!") // cut after the timeout
	if got := srv.App.Hub().Online(); got != 1 {
		t.Errorf("Online() = %d, want 1", got)
	}
	time.Sleep(2 * cfg.SSHIdleTimeout) // proving an absence: the quiet one sent nothing all along and stays
	quiet.Quiet()
}

// TestSessionsPerConn: a connection runs one session at a time; another
// is told why it is refused and ends with exit status 1.
func TestSessionsPerConn(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
	first, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := first.StdinPipe() // kept open: the session stays
	defer in.Close()
	if err := first.Shell(); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, "mike online", func() bool { return srv.App.Hub().Online() == 1 })
	second, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := second.Output("")
	if want := "<system> " + sshd.TextTooManySessions + "\n"; string(out) != want {
		t.Errorf("second session said %q (%v), want %q", out, err, want)
	}
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
		t.Errorf("second session ended with %v, want exit status 1", err)
	}
	if got := srv.App.Hub().Online(); got != 1 {
		t.Errorf("Online() = %d, want 1", got)
	}
}
