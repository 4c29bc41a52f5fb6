package sshd

import (
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"

	"chatserver/chat"
)

// TestStallGuard: a write stuck on a client that stopped reading cuts the
// connection once the timeout has passed; a session that writes steadily
// for many timeouts, each write quick, is never cut; and an idle session
// leaves no timer running.
func TestStallGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = time.Second
		server, client := net.Pipe()
		defer client.Close()
		c := &conn{Conn: server}
		g := &stallGuard{w: server, c: c, timeout: timeout}

		go io.Copy(io.Discard, client) // a client that reads
		start := time.Now()
		for time.Since(start) < 5*timeout {
			if _, err := g.Write([]byte("a line\r\n")); err != nil {
				t.Fatalf("a steady writer was cut after %v: %v", time.Since(start), err)
			}
			time.Sleep(timeout / 4)
		}
		time.Sleep(2 * timeout)
		synctest.Wait()
		g.watch.Lock()
		armed := g.armed
		g.watch.Unlock()
		if armed {
			t.Error("the timer still runs for an idle session")
		}

		stalled, reader := net.Pipe()
		defer reader.Close()
		c = &conn{Conn: stalled}
		var slow chat.SlowClients
		g = &stallGuard{w: stalled, c: c, timeout: timeout, slow: &slow}
		start = time.Now()
		_, err := g.Write([]byte("nobody reads this")) // blocks: the other end never reads
		if err == nil {
			t.Fatal("a write nobody read returned without error")
		}
		if slow.Cut() != 1 {
			t.Errorf("%d cuts counted, want 1", slow.Cut())
		}
		if took := time.Since(start); took < timeout || took > timeout+timeout/10 {
			t.Fatalf("the stalled write was cut after %v, want %v", took, timeout)
		}
	})
}

// TestStallGuardLateStall: a write that stalls late in the timer's period
// is cut one timeout after it began, not when the timer armed by an
// earlier write first fires; and a stopped guard (the session ended)
// keeps no timer.
func TestStallGuardLateStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = time.Second
		server, client := net.Pipe()
		defer client.Close()
		g := &stallGuard{w: server, c: &conn{Conn: server}, timeout: timeout}
		read := make(chan struct{})
		go func() { // reads one write, then stops reading
			buf := make([]byte, 64)
			client.Read(buf)
			close(read)
		}()
		g.Write([]byte("quick")) // arms the timer
		<-read
		time.Sleep(timeout * 9 / 10)
		start := time.Now()
		if _, err := g.Write([]byte("stuck")); err == nil {
			t.Fatal("a write nobody read returned without error")
		}
		if took := time.Since(start); took != timeout {
			t.Fatalf("the late stall was cut after %v, want %v", took, timeout)
		}

		other, peer := net.Pipe()
		defer peer.Close()
		go io.Copy(io.Discard, peer)
		g = &stallGuard{w: other, c: &conn{Conn: other}, timeout: timeout}
		g.Write([]byte("last line"))
		g.stop()
		g.Write([]byte("after the end"))
		g.watch.Lock()
		running := g.t.Stop() // true if it was still set to fire
		g.watch.Unlock()
		if running {
			t.Fatal("a stopped guard still had its timer set, keeping the session reachable")
		}
	})
}

// deadlineConn records the deadlines passed on to it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (d *deadlineConn) SetDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// TestLazyDeadline: the idle deadline, moved before every read and write,
// reaches the socket only once it is the slack past the one set; an
// earlier deadline (the handshake's), a cleared one and the cap on a
// connection admitted over its limits always do.
func TestLazyDeadline(t *testing.T) {
	d := &Door{cfg: Config{IdleTimeout: 80 * time.Second}} // slack 10 s
	under := &deadlineConn{}
	c := &conn{Conn: under, door: d}
	now := time.Unix(1_000_000, 0)
	c.SetDeadline(now.Add(20 * time.Second)) // the handshake's
	c.SetDeadline(now.Add(20 * time.Second)) // again, from another read
	c.SetDeadline(now.Add(80 * time.Second)) // handshake done: the idle one
	for s := range 9 {                       // reads and writes, a second apart, within the slack
		c.SetDeadline(now.Add(time.Duration(81+s) * time.Second))
	}
	c.SetDeadline(now.Add(95 * time.Second)) // the slack past 80 s
	c.SetDeadline(now.Add(50 * time.Second)) // earlier
	c.SetDeadline(time.Time{})               // cleared
	want := []time.Time{now.Add(20 * time.Second), now.Add(80 * time.Second), now.Add(95 * time.Second), now.Add(50 * time.Second), {}}
	if len(under.set) != len(want) {
		t.Fatalf("deadlines passed on: %v, want %v", under.set, want)
	}
	for i := range want {
		if !under.set[i].Equal(want[i]) {
			t.Fatalf("deadlines passed on: %v, want %v", under.set, want)
		}
	}

	limited := &deadlineConn{}
	c = &conn{Conn: limited, door: d, limit: now.Add(40 * time.Second)}
	c.SetDeadline(now.Add(80 * time.Second))
	c.SetDeadline(time.Time{})
	if len(limited.set) != 1 || !limited.set[0].Equal(now.Add(40*time.Second)) {
		t.Fatalf("a connection capped at 40 s got deadlines %v", limited.set)
	}
}

// TestColourProfile: what the UI may draw with, from the pty's TERM and
// the environment the client sent.
func TestColourProfile(t *testing.T) {
	for _, tc := range []struct {
		term    string
		environ []string
		want    colorprofile.Profile
	}{
		{"xterm-256color", nil, colorprofile.ANSI256},
		{"xterm", nil, colorprofile.ANSI},
		{"screen", nil, colorprofile.ANSI256},
		{"xterm-256color", []string{"COLORTERM=truecolor"}, colorprofile.TrueColor},
		{"xterm-256color", []string{"NO_COLOR=1"}, colorprofile.ASCII},
		{"", nil, colorprofile.ANSI256},
		{"", []string{"NO_COLOR=1"}, colorprofile.ASCII},
		{"xterm-256color", []string{"NO_COLOR=yes"}, colorprofile.ASCII}, // any non-empty value (no-color.org)
		{"xterm", []string{"NO_COLOR=0"}, colorprofile.ASCII},
		{"xterm-256color", []string{"COLORTERM=truecolor", "NO_COLOR=anything"}, colorprofile.ASCII},
		{"xterm-256color", []string{"NO_COLOR="}, colorprofile.ANSI256}, // empty: as if unset
		{"xterm-256color", []string{"NO_COLOR=1", "NO_COLOR="}, colorprofile.ANSI256},
		{"dumb", []string{"NO_COLOR=yes"}, colorprofile.NoTTY},
		{"dumb", nil, colorprofile.NoTTY},
	} {
		if got := colourProfile(tc.environ, tc.term); got != tc.want {
			t.Errorf("TERM=%q %v: %v, want %v", tc.term, tc.environ, got, tc.want)
		}
	}
}

// FuzzParseWindow: a window-change payload of any bytes never panics; it
// is read exactly when it holds the four numbers, and then as they are.
func FuzzParseWindow(f *testing.F) {
	f.Add([]byte{0, 0, 0, 80, 0, 0, 0, 24, 0, 0, 2, 128, 0, 0, 1, 224})
	f.Add([]byte{0, 0, 0, 80, 0, 0, 0, 24})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		win, ok := parseWindow(p)
		if ok != (len(p) >= 16) {
			t.Fatalf("parseWindow(%x) ok = %v", p, ok)
		}
		if !ok {
			return
		}
		u := func(i int) int {
			return int(uint32(p[4*i])<<24 | uint32(p[4*i+1])<<16 | uint32(p[4*i+2])<<8 | uint32(p[4*i+3]))
		}
		if want := (ssh.Window{Width: u(0), Height: u(1), WidthPixels: u(2), HeightPixels: u(3)}); win != want {
			t.Fatalf("parseWindow(%x) = %+v, want %+v", p, win, want)
		}
	})
}
