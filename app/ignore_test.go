package app_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// PROTOCOL.md's /ignore and /unignore, over telnet: every line, who gets
// it, and that an ignored name's messages, actions and whispers reach
// nobody who ignores it, nor their /history, until /unignore or logout.

const (
	lineIgnoringNobody = "<system> You're not ignoring anyone."
	lineIgnoreSelf     = "<system> You cannot ignore yourself."
	lineIgnoreUnknown  = "<system> Could not find someone with that username."
)

func ignoringLine(name string) string    { return "<system> You're now ignoring " + name + "." }
func unignoredLine(name string) string   { return "<system> You're no longer ignoring " + name + "." }
func notIgnoringLine(name string) string { return "<system> You're not ignoring " + name + "." }

func TestIgnore(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")
	dave := apptest.Login(t, srv.Telnet, "dave")
	alice.Expect(joinLine("dave"))
	bob.Expect(joinLine("dave"))

	// Every answer, to its author alone.
	for _, tc := range []struct{ in, want string }{
		{"/ignore", lineIgnoringNobody},
		{"/unignore", "<system> Please specify a username."},
		{"/unignore bob", notIgnoringLine("bob")},
		{"/unignore NOBODY", notIgnoringLine("NOBODY")},
		{"/ignore alice", lineIgnoreSelf},
		{"/IGNORE   ALICE", lineIgnoreSelf},
		{"/ignore no/slash", lineIgnoreUnknown},
		{"/ignore helperbot", lineIgnoreUnknown},
		{"/ignore BOB", ignoringLine("bob")}, // shown as logged in
		{"/ignore bob", "<system> You're already ignoring bob."},
		{"/ignore Mallory  too", ignoringLine("Mallory")}, // offline: as typed
		{"/ignore", "<system> You're ignoring: bob, Mallory"},
	} {
		alice.Send(tc.in)
		alice.Expect(tc.want)
		allQuiet(alice, bob, carol, dave)
	}

	// bob's message, action and whisper reach everyone but alice; carol's
	// whisper still does.
	bob.Send("hi all")
	dave.Expect("<bob> hi all")
	bob.Send("/me waves")
	dave.Expect("* bob waves")
	bob.Send("/w alice psst")
	dave.Send("from dave")
	alice.Expect("<dave> from dave")
	bob.Expect("<dave> from dave")
	carol.Send("/w alice from afar")
	alice.Expect("<helperbot> carol whispered to you: from afar")
	allQuiet(alice, bob, carol, dave)

	// Nor in /history; others' /history has them.
	alice.Send("/history 3")
	if l := alice.Next(); !historyTimeRe.MatchString(l) || !strings.HasSuffix(l, "] <dave> from dave") {
		t.Errorf("alice's /history 3 = %q, want dave's line alone", l)
	}
	dave.Send("/history 3")
	for _, want := range []string{"<bob> hi all", "* bob waves", "<dave> from dave"} {
		if l := dave.Next(); !strings.HasSuffix(l, "] "+want) {
			t.Errorf("dave's /history line = %q, want %q", l, want)
		}
	}
	allQuiet(alice, bob, carol, dave)

	// An ignored name that logs in later is ignored from its first word;
	// helperbot's join line is not theirs.
	mallory := apptest.Login(t, srv.Telnet, "mallory")
	for _, c := range []*apptest.Client{alice, bob, dave} {
		c.Expect(joinLine("mallory"))
	}
	mallory.Send("I'm here")
	dave.Expect("<mallory> I'm here")
	bob.Expect("<mallory> I'm here")
	allQuiet(alice, carol)

	alice.Send("/unignore BOB")
	alice.Expect(unignoredLine("bob"))
	alice.Send("/unignore bob")
	alice.Expect(notIgnoringLine("bob"))
	bob.Send("heard again")
	alice.Expect("<bob> heard again")
	dave.Expect("<bob> heard again")
	mallory.Expect("<bob> heard again")
	alice.Send("/ignore")
	alice.Expect("<system> You're ignoring: Mallory")
	allQuiet(alice, bob, carol, dave, mallory)

	// Not protected: the list ends with the session.
	alice.Conn.Close()
	for _, c := range []*apptest.Client{bob, dave, mallory} {
		c.Expect(leaveLine("alice"))
	}
	alice = apptest.Login(t, srv.Telnet, "alice")
	for _, c := range []*apptest.Client{bob, dave, mallory} {
		c.Expect(joinLine("alice"))
	}
	alice.Send("/ignore")
	alice.Expect(lineIgnoringNobody)
	mallory.Send("hi alice")
	alice.Expect("<mallory> hi alice")
}

// A sample over SSH without a pty: the same lines, the same silence, and
// /help COMMAND.
func TestIgnoreSSH(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	erin := apptest.LoginSSH(t, srv.SSH, "erin", nil)
	bob := apptest.Login(t, srv.Telnet, "bob")
	erin.Expect(joinLine("bob"))
	erin.Send("/ignore Bob")
	erin.Expect(ignoringLine("bob"))
	erin.Send("/ignore erin")
	erin.Expect(lineIgnoreSelf)
	bob.Send("over telnet")
	bob.Send("/w erin psst")
	bob.Send("/me shrugs")
	bob.Quiet() // all three handled
	erin.Quiet()
	erin.Send("/ignore")
	erin.Expect("<system> You're ignoring: bob")
	erin.Send("/unignore bob")
	erin.Expect(unignoredLine("bob"))
	bob.Send("/w erin again")
	erin.Expect("<helperbot> bob whispered to you: again")
	erin.Send("/unignore bob")
	erin.Expect(notIgnoringLine("bob"))
	erin.Send("/help UNIGNORE")
	erin.Expect("<system> /unignore NAME: Stop ignoring NAME.")
	erin.Send("/help nothing")
	erin.Expect(lineNoCommand)
	allQuiet(bob)
}

// A protected name (owned by its SSH key) keeps its list across logins
// and a restart, and it holds from the login on; an unprotected one does
// not, even over SSH.
func TestIgnoreKeptAcrossRestart(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	srv := apptest.Start(t, cfg)
	key := apptest.NewKey(t)

	dave := apptest.LoginSSH(t, srv.SSH, "dave", key) // binds dave to key
	dave.Send("/ignore Bob")
	dave.Expect(ignoringLine("Bob"))
	dave.Send("/ignore mallory")
	dave.Expect(ignoringLine("mallory"))
	dave.Send("/ignore troll")
	dave.Expect(ignoringLine("troll"))
	dave.Send("/unignore TROLL")
	dave.Expect(unignoredLine("troll"))
	erin := apptest.LoginSSH(t, srv.SSH, "erin", nil) // no key: not protected
	erin.Send("/ignore bob")
	erin.Expect(ignoringLine("bob"))
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	bob := apptest.Login(t, srv.Telnet, "bob")
	dave = apptest.LoginSSH(t, srv.SSH, "DAVE", key)
	bob.Expect(joinLine("DAVE"))
	bob.Send("said after the restart")
	bob.Send("/w dave psst")
	dave.Quiet()
	dave.Send("/ignore")
	dave.Expect("<system> You're ignoring: Bob, mallory")
	erin = apptest.LoginSSH(t, srv.SSH, "erin", nil)
	erin.Send("/ignore")
	erin.Expect(lineIgnoringNobody)

	// Another login of the name with its key, after a logout: still there.
	dave.SSH.Close()
	bob.Until(leaveLine("DAVE"))
	dave = apptest.LoginSSH(t, srv.SSH, "dave", key)
	dave.Send("/unignore bob")
	dave.Expect(unignoredLine("Bob"))
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	dave = apptest.LoginSSH(t, srv.SSH, "dave", key)
	dave.Send("/ignore")
	dave.Expect("<system> You're ignoring: mallory")
}

// The SSH screen shows nothing an ignored name says: neither what arrives
// nor the backlog of a room it enters.
func TestIgnoreScreen(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	bob := apptest.Login(t, srv.Telnet, "bob")
	carol := apptest.Login(t, srv.Telnet, "carol")
	bob.Expect(joinLine("carol"))
	enter(bob, "bob", "den")
	carol.Expect(leaveLine("bob"))
	bob.Send("secret from before")
	bob.Quiet() // handled before carol comes in
	enter(carol, "carol", "den")
	carol.Send("visible from before")
	bob.Expect(joinLine("carol"), "<carol> visible from before")

	dave := apptest.DialScreen(t, srv.SSH, "dave", nil, 100, 30)
	dave.WaitText("▸ chat")
	dave.Type("/ignore bob\r")
	dave.WaitText("You're now ignoring bob.")
	dave.Type("/switch den\r")
	dave.WaitText("▸ den", "carol: visible from before")
	bob.Expect(joinLine("dave"))
	bob.Send("secret after")
	bob.Send("/me hides")
	bob.Send("/w dave psst")
	carol.Expect(joinLine("dave"), "<bob> secret after", "* bob hides")
	carol.Send("visible after")
	dave.WaitText("carol: visible after")
	if text := dave.Text(); strings.Contains(text, "secret") || strings.Contains(text, "hides") || strings.Contains(text, "psst") {
		t.Errorf("dave's screen shows what bob said:\n%s", text)
	}
}
