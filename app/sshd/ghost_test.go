package sshd_test

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// Lines of the ghost tests.
const (
	lineReplaced = "<system> You logged in from another connection."
	mikeLeft     = "<helperbot> mike has left the chat room!"
	mikeJoined   = "<helperbot> mike has joined the chat room!"
)

// chatMembers returns the names in srv's room chat, in order.
func chatMembers(srv *apptest.Server) []string {
	var out []string
	for _, m := range srv.App.Hub().Members("chat") {
		out = append(out, m.Name)
	}
	return out
}

// mikeOnline starts a server with anna on telnet and mike over SSH without
// a pty, with the key it returns, which owns his name.
func mikeOnline(t *testing.T) (srv *apptest.Server, anna *apptest.Client, mike *apptest.SSHLines, key gossh.Signer) {
	t.Helper()
	srv = apptest.Start(t, apptest.Config(t))
	anna = apptest.Login(t, srv.Telnet, "anna")
	key = apptest.NewKey(t)
	mike = apptest.LoginSSH(t, srv.SSH, "mike", key)
	anna.Expect(mikeJoined)
	mike.Quiet()
	return srv, anna, mike, key
}

// TestGhostSSHLines: mike, online over SSH without a pty, logs in again
// with the key that owns his name: the older session is told, its session
// ends with exit status 0 and its output closes, the room (anna on telnet)
// sees him leave and join, and the new session is in. Another key, or none,
// proves nothing: the name is taken, as before, and nothing changes.
func TestGhostSSHLines(t *testing.T) {
	t.Parallel()
	srv, anna, old, key := mikeOnline(t)
	mike := apptest.LoginSSH(t, srv.SSH, "mike", key)
	old.ExpectClosed(lineReplaced)
	if got := apptest.ExitStatus(t, old.Session); got != 0 {
		t.Errorf("the older session's exit status = %d, want 0", got)
	}
	anna.Expect(mikeLeft, mikeJoined)
	mike.Send("back already")
	anna.Expect("<mike> back already")
	if got := chatMembers(srv); !slices.Equal(got, []string{"anna", "mike"}) {
		t.Errorf("chat's members: %q, want [anna mike]", got)
	}

	for _, k := range []gossh.Signer{apptest.NewKey(t), nil} {
		c := apptest.DialSSHLines(t, srv.SSH, "mike", k)
		c.ExpectClosed("<system> Welcome to the chat room!", "<system> That username is already taken, please try another one.")
	}
	mike.Quiet()
	anna.Quiet()
	if got := srv.App.Hub().Online(); got != 2 {
		t.Errorf("Online() = %d, want 2", got)
	}
}

// TestGhostSSHScreen: the same with a pty on either side. An older session
// on a screen ends, leaving the line on the terminal as its farewell; a
// newer one on a screen starts as usual.
func TestGhostSSHScreen(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	anna := apptest.Login(t, srv.Telnet, "anna")
	key := apptest.NewKey(t)

	old := apptest.DialScreen(t, srv.SSH, "mike", key, 80, 24)
	old.WaitText("Users (2)")
	anna.Expect(mikeJoined)
	lines := apptest.LoginSSH(t, srv.SSH, "mike", key) // screen to lines
	old.WaitText("You logged in from another connection.")
	apptest.Eventually(t, "the older screen's session ended", old.Ended)
	if got := apptest.ExitStatus(t, old.Session); got != 0 {
		t.Errorf("the older screen's exit status = %d, want 0", got)
	}
	anna.Expect(mikeLeft, mikeJoined)

	scr := apptest.DialScreen(t, srv.SSH, "mike", key, 80, 24) // lines to screen
	lines.ExpectClosed(lineReplaced)
	anna.Expect(mikeLeft, mikeJoined)
	scr.WaitText("Users (2)", "mike has joined the chat room!")
	scr.Type("hello from the new screen\r")
	anna.Expect("<mike> hello from the new screen")
	if got := chatMembers(srv); !slices.Equal(got, []string{"anna", "mike"}) {
		t.Errorf("chat's members: %q, want [anna mike]", got)
	}
}

// TestGhostTelnetTaken: a name no key and no password protects stays
// taken: a second telnet login and an SSH login with a key are refused
// with the taken line, and the session online is left as it was.
func TestGhostTelnetTaken(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	mike := apptest.Login(t, srv.Telnet, "mike")
	taken := "<system> That username is already taken, please try another one."

	again := apptest.Dial(t, srv.Telnet)
	again.Welcome()
	again.Send("mike")
	again.Expect(taken)
	c := apptest.DialSSHLines(t, srv.SSH, "mike", apptest.NewKey(t))
	c.ExpectClosed("<system> Welcome to the chat room!", taken)
	mike.Quiet()
	if got := srv.App.Hub().Online(); got != 1 {
		t.Errorf("after the refusals: Online() = %d, want 1", got)
	}
}

// TestGhostSSHRace: several SSH logins with the name's key at once, while
// the name is online: one session is left online, every other one is
// told and ends, and the room sees mike leave and join by turns.
func TestGhostSSHRace(t *testing.T) {
	t.Parallel()
	const racers = 5
	srv, anna, first, key := mikeOnline(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the clients' own cleanups, which end the last session
	var shells [racers]*apptest.SSHLines
	for i := range shells {
		shells[i] = apptest.OpenSSHLines(t, srv.SSH, "mike", key)
	}
	errs := make(chan error, racers)
	ended := make(chan *apptest.SSHLines, racers)
	for _, c := range shells {
		wg.Go(func() {
			errs <- c.Session.Shell() // logs mike in
			c.Session.Wait()
			ended <- c
		})
	}
	for range racers {
		if err := <-errs; err != nil {
			t.Fatalf("shell: %v", err)
		}
	}

	first.ExpectClosed(lineReplaced)
	gone := map[*apptest.SSHLines]bool{}
	for range racers - 1 { // every racer ends but one
		select {
		case c := <-ended:
			gone[c] = true
			lines := c.Closed()
			if n := len(lines); n == 0 || lines[n-1] != lineReplaced {
				t.Errorf("a replaced racer got %q, want %q last", lines, lineReplaced)
			}
		case <-time.After(apptest.Wait):
			t.Fatalf("fewer than %d racers ended within %v", racers-1, apptest.Wait)
		}
	}
	var mike *apptest.SSHLines
	for _, c := range shells {
		if !gone[c] {
			mike = c // the one left online
		}
	}
	mike.Until(mikeJoined) // its own join: anna has hers too
	if got := srv.App.Hub().Online(); got != 2 {
		t.Errorf("Online() = %d, want 2", got)
	}
	if got := chatMembers(srv); !slices.Equal(got, []string{"anna", "mike"}) {
		t.Errorf("chat's members: %q, want [anna mike]", got)
	}
	seen := anna.Sync()
	for i, l := range seen {
		if want := [...]string{mikeLeft, mikeJoined}[i%2]; l != want {
			t.Fatalf("chat saw %q, want leave and join lines by turns, from a leave", seen)
		}
	}
	if len(seen) == 0 || len(seen)%2 != 0 {
		t.Fatalf("chat saw %q, want leave and join lines ending with a join", seen)
	}
	anna.Send("/w mike you there?")
	mike.Expect("<helperbot> anna whispered to you: you there?")
}

// TestGhostGoroutines: the older session's goroutines all end when it is
// replaced: after the door's keepalive-less view of a client that vanished
// without a word (a proxy that stops forwarding, as a dropped link does), as
// after a live one. Not parallel: it counts the goroutines of package app
// and below, which the other tests would change.
func TestGhostGoroutines(t *testing.T) {
	srv, anna, mike, key := mikeOnline(t)
	one := appGoroutines() // anna on telnet, mike on SSH without a pty

	for _, vanish := range []bool{false, true} {
		addr := srv.SSH
		var p *freezer
		if vanish {
			p = newFreezer(t, srv.SSH) // abuse_test.go
			addr = p.ln.Addr().String()
		}
		again := apptest.LoginSSH(t, addr, "mike", key)
		mike.ExpectClosed(lineReplaced)
		anna.Expect(mikeLeft, mikeJoined)
		if vanish {
			p.freeze() // this mike's link drops: the server hears nothing more from it
		}
		mike = apptest.LoginSSH(t, srv.SSH, "mike", key) // back at once
		anna.Expect(mikeLeft, mikeJoined)
		if !vanish {
			again.ExpectClosed(lineReplaced)
		}
		for deadline := time.Now().Add(apptest.Wait); appGoroutines() > one; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("vanished %v: the server runs %d goroutines after %v, want %d:\n%s", vanish, appGoroutines(), apptest.Wait, one, strings.Join(appStacks(), "\n\n"))
			}
		}
		if got := srv.App.Hub().Online(); got != 2 {
			t.Errorf("Online() = %d, want 2", got)
		}
	}
}

// appGoroutines counts the server's goroutines: those running code of
// package app and below, or of the UI, but the tests' own clients.
func appGoroutines() int { return len(appStacks()) }

// appStacks returns the stacks of the goroutines appGoroutines counts.
func appStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		server := strings.Contains(g, "chatserver/app/") || strings.Contains(g, "chatserver/tui")
		if server && !strings.Contains(g, "chatserver/app/apptest.") && !strings.Contains(g, "_test.") {
			out = append(out, g)
		}
	}
	return out
}

// TestIdleTimeoutBusyRoom: a client that went silent in a busy room is cut
// too, though every line the server writes to it counts as activity for
// the server's idle deadline: it gives no keepalive reply.
func TestIdleTimeoutBusyRoom(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SSHIdleTimeout = 2 * time.Second // as in TestIdleTimeout
	cfg.FloodRate = 0
	srv := apptest.Start(t, cfg)
	anna := apptest.Login(t, srv.Telnet, "anna")
	px := newFreezer(t, srv.SSH) // abuse_test.go
	gone := apptest.LoginSSH(t, px.ln.Addr().String(), "gone", nil)
	anna.Expect("<helperbot> gone has joined the chat room!")
	gone.Quiet()
	px.freeze()
	deadline := time.Now().Add(apptest.Wait)
	for srv.App.Hub().Online() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a silent client in a busy room still online after %v", apptest.Wait)
		}
		anna.Send("busy")
		time.Sleep(50 * time.Millisecond)
	}
	anna.Until("<helperbot> gone has left the chat room!")
}
