package sshd_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// TestShutdownStuckReaders: clients that never read, with a pty (the UI)
// and without (the line protocol), whose writers are blocked on a full
// channel, do not hold the server's shutdown past its grace.
func TestShutdownStuckReaders(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0 // off: one sender fills the stuck clients' windows quickly
	cfg.ShutdownGrace = time.Second
	srv := apptest.Start(t, cfg)
	carol := apptest.LoginSSH(t, srv.SSH, "carol", nil)
	dave := apptest.LoginSSH(t, srv.SSH, "dave", nil) // reads all
	carol.Expect("<helperbot> dave has joined the chat room!")
	for i, pty := range []bool{false, true} {
		name := fmt.Sprintf("stuck%d", i)
		sc := apptest.DialSSH(t, srv.SSH, name, nil, nil)
		sess, err := sc.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.StdoutPipe(); err != nil { // never read
			t.Fatal(err)
		}
		if _, err := sess.StdinPipe(); err != nil { // kept open: the session stays
			t.Fatal(err)
		}
		if pty {
			if err := sess.RequestPty("xterm", 40, 120, gossh.TerminalModes{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		carol.Expect("<helperbot> " + name + " has joined the chat room!")
	}
	// The channel window of golang.org/x/crypto/ssh's client is 2 MiB:
	// 3 MiB of lines, each one a new screen of the UI, leave both writers blocked.
	text := strings.Repeat("x", 400)
	for i := range 8000 {
		carol.Send(fmt.Sprintf("%d %s", i, text))
	}
	carol.Send("last")
	dave.Until("<carol> last")

	start := time.Now()
	srv.Stop(t)
	took := time.Since(start)
	t.Logf("shutdown took %v", took)
	if took > cfg.ShutdownGrace+5*time.Second {
		t.Errorf("shutdown took %v with a grace of %v", took, cfg.ShutdownGrace)
	}
}
