package app_test

import (
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

const replacedLine = "<system> You logged in from another connection."

// loginSSHWithPassword logs name in over SSH at addr by keyboard-interactive
// with password, without a pty, and reads the welcome.
func loginSSHWithPassword(t *testing.T, addr, name, password string) *apptest.SSHLines {
	t.Helper()
	asked := 0
	sc, err := apptest.DialSSHAuth(t, addr, name, answer(t, name, password, &asked))
	if err != nil {
		t.Fatalf("%s over SSH with the password: %v", name, err)
	}
	c := apptest.LinesOn(t, sc)
	welcomed(c, name)
	return c
}

// TestGhostRealDoors: a name protected by a password over telnet, online on
// one door, logs in again with its password on either door: the older
// session, whatever its door (SSH with or without a pty), is told and
// closed, its room sees it leave, and the newer one logs in as usual.
// Every login here is a real client's: no engine stand-in.
func TestGhostRealDoors(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	const password = "hunter2hunter2"
	cases := []struct {
		name, user, oldDoor, newDoor string
	}{
		{"telnet to telnet", "mike", "telnet", "telnet"},
		{"telnet to ssh", "mia", "telnet", "ssh"},
		{"ssh to telnet", "max", "ssh", "telnet"},
		{"ssh to ssh", "mo", "ssh", "ssh"},
		{"ssh screen to telnet", "meg", "screen", "telnet"},
	}
	// anna is there first, and sees each protecting login come and go: a
	// leave line goes out after the name is free, so one logged in after
	// would see some of them, late.
	anna := apptest.Login(t, srv.Telnet, "anna")
	for _, tc := range cases {
		protectOverTelnet(t, srv, tc.user, password)
		anna.Expect(joinLine(tc.user), leaveLine(tc.user))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anna := anna.For(t)
			var (
				old  *apptest.Client // the older session's lines, unless on a screen
				sess *gossh.Session  // the older SSH session
				scr  *apptest.Screen
			)
			switch tc.oldDoor {
			case "telnet":
				old = loginWithPassword(t, srv.Telnet, tc.user, password)
			case "ssh":
				c := loginSSHWithPassword(t, srv.SSH, tc.user, password)
				old, sess = c.Client, c.Session
			case "screen":
				asked := 0
				sc, err := apptest.DialSSHAuth(t, srv.SSH, tc.user, answer(t, tc.user, password, &asked))
				if err != nil {
					t.Fatalf("screen login with the password: %v", err)
				}
				scr = apptest.ScreenOn(t, sc, "xterm-256color", 80, 24)
				scr.WaitText("Users (2)")
				sess = scr.Session
			}
			anna.Expect(joinLine(tc.user))
			if old != nil {
				old.Quiet()
			}

			var again *apptest.Client
			if tc.newDoor == "telnet" {
				again = loginWithPassword(t, srv.Telnet, tc.user, password)
			} else {
				again = loginSSHWithPassword(t, srv.SSH, tc.user, password).Client
			}
			if scr != nil {
				scr.WaitText("You logged in from another connection.")
				apptest.Eventually(t, "the older screen's session ended", scr.Ended)
				// The farewell stays on the terminal after the session ends.
				scr.WaitText("You logged in from another connection.")
			} else {
				old.ExpectClosed(replacedLine)
			}
			if sess != nil {
				if got := apptest.ExitStatus(t, sess); got != 0 {
					t.Errorf("the older SSH session's exit status = %d, want 0", got)
				}
			}
			anna.Expect(leaveLine(tc.user), joinLine(tc.user))
			again.Quiet()
			var names []string
			for _, m := range srv.App.Hub().Members("chat") {
				names = append(names, m.Name)
			}
			if !slices.Equal(names, []string{"anna", tc.user}) {
				t.Errorf("chat's members: %q, want [anna %s]", names, tc.user)
			}
			again.Send("/leave")
			again.Until("<system> Leaving chat room.")
			anna.Expect(leaveLine(tc.user))
			anna.Quiet()
		})
	}
}

// TestSSHScreenPassword: a password login into the SSH UI. A name that
// its key owns and that has a password set is asked "Password for NAME: "
// by keyboard-interactive when no key is offered, and the UI starts as
// usual; the owning key gets into the UI without being asked.
func TestSSHScreenPassword(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	key := apptest.NewKey(t)
	m := apptest.LoginSSH(t, srv.SSH, "mike", key) // binds mike to key
	m.Send("/password hunter2hunter2")
	m.Expect("<system> Your name is now protected by a password.")
	leaveSSH(t, m)
	anna := apptest.Login(t, srv.Telnet, "anna")

	asked := 0
	sc, err := apptest.DialSSHAuth(t, srv.SSH, "mike", answer(t, "mike", "hunter2hunter2", &asked))
	if err != nil {
		t.Fatalf("mike with his password: %v", err)
	}
	if asked != 1 {
		t.Errorf("asked %d times for the password, want once", asked)
	}
	scr := apptest.ScreenOn(t, sc, "xterm-256color", 80, 24)
	scr.WaitText("Users (2)", "mike has joined the chat room!")
	anna.Expect(joinLine("mike"))
	scr.Type("/whois mike\r")
	scr.WaitText("mike: protected by a password")
	if strings.Contains(scr.Text(), "mike: key SHA256:") {
		t.Errorf("a password login shows a key in /whois; screen:\n%s", scr.Text())
	}
	scr.Type("hello over a password\r")
	anna.Expect("<mike> hello over a password")

	never := 0
	sc, err = apptest.DialSSHAuth(t, srv.SSH, "mike", gossh.PublicKeys(key), answer(t, "mike", "", &never))
	if err != nil {
		t.Fatalf("mike with his key: %v", err)
	}
	byKey := apptest.ScreenOn(t, sc, "xterm-256color", 80, 24)
	scr.WaitText("You logged in from another connection.") // the password session was a ghost now
	anna.Expect(leaveLine("mike"), joinLine("mike"))
	byKey.WaitText("Users (2)", "mike has joined the chat room!")
	byKey.Type("/whois mike\r")
	// The fingerprint wraps in the messages pane: its first 30 characters fit.
	byKey.WaitText("mike: key", gossh.FingerprintSHA256(key.PublicKey())[:30])
	if never != 0 {
		t.Errorf("the owning key was asked for the password %d times, want never", never)
	}
}

// dropper forwards one TCP connection to a server until drop, which closes
// the client's side and forwards nothing more, while the server's side stays
// open: a connection lost on the way, that the server cannot see end.
type dropper struct {
	ln     net.Listener
	mu     sync.Mutex
	client net.Conn
	wg     sync.WaitGroup
}

// newDropper listens on loopback and forwards its first connection to
// target; everything is closed when the test ends.
func newDropper(t *testing.T, target string) *dropper {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	d := &dropper{ln: ln}
	var server net.Conn
	d.wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		d.mu.Lock()
		d.client, server = c, s
		d.mu.Unlock()
		d.wg.Go(func() { io.Copy(s, c) }) // ends at drop, leaving s open
		io.Copy(c, s)
	})
	t.Cleanup(func() {
		ln.Close()
		d.mu.Lock()
		if server != nil {
			server.Close()
			d.client.Close()
		}
		d.mu.Unlock()
		d.wg.Wait()
	})
	return d
}

// Addr is where clients connect.
func (d *dropper) Addr() string { return d.ln.Addr().String() }

// drop cuts the client off without a word to the server.
func (d *dropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.client.Close()
}

// TestIssue12Walkthrough is issue 12's "Done means", once, with real
// clients on both doors: mike protects his name over telnet, logs in over
// SSH with his password (keyboard-interactive), loses his connection (the
// server is not told) and gets back in at once over SSH, replacing the
// ghost; he leaves, anna whispers to him and mentions him, the server
// restarts, and mike, logging in again with his password, finds both;
// a bot reading the room as JSON lines (ssh … json) sees anna's message
// as a message object.
func TestIssue12Walkthrough(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	const password = "correct horse battery"
	protectOverTelnet(t, srv, "mike", password)

	d := newDropper(t, srv.SSH)
	mike := loginSSHWithPassword(t, d.Addr(), "mike", password)
	anna := apptest.Login(t, srv.Telnet, "anna")
	mike.Expect(joinLine("anna"))
	mike.Sync()

	d.drop()
	again := loginSSHWithPassword(t, srv.SSH, "mike", password) // at once: the ghost is replaced
	anna.Expect(leaveLine("mike"), joinLine("mike"))
	again.Send("/whois mike")
	whoisWhere(t, again.Client, "mike: in 'chat' via ssh")
	again.Expect("<system> mike: protected by a password")
	again.Send("/leave")
	again.Until("<system> Leaving chat room.")
	anna.Expect(leaveLine("mike"))

	bot := apptest.DialSSHJSON(t, srv.SSH, "bot", nil)
	bot.ExpectJSON(
		apptest.JSONLine{Type: "system", Text: "Welcome to the chat room!"},
		apptest.JSONLine{Type: "system", Text: "Logging in as bot"},
		apptest.JSONLine{Type: "join", Room: "chat", From: "bot"},
	)
	anna.Expect(joinLine("bot"))
	anna.Send("/w mike the keys are under the mat")
	anna.Expect(offlineLine("mike"))
	anna.Send(`Mike said "lunch at noon" 🍜`)
	bot.ExpectJSON(apptest.JSONLine{Type: "message", Room: "chat", From: "anna", Text: `Mike said "lunch at noon" 🍜`})
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	asked := 0
	sc, err := apptest.DialSSHAuth(t, srv.SSH, "mike", answer(t, "mike", password, &asked))
	if err != nil {
		t.Fatalf("mike after the restart: %v", err)
	}
	mike = apptest.LinesOn(t, sc)
	mike.Expect("<system> Welcome to the chat room!", "<system> Logging in as mike")
	expectKept(t, mike.Client, "anna whispered to you: the keys are under the mat", `#chat <anna> Mike said "lunch at noon" 🍜`)
	mike.Expect(joinLine("mike"))
	mike.Quiet()
}
