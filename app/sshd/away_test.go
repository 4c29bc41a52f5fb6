package sshd_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// TestLinesAwayAndAction: /me, /away and /back over SSH without a pty, with
// a telnet user in the same room, as PROTOCOL.md says.
func TestLinesAwayAndAction(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	mike := apptest.LoginSSH(t, srv.SSH, "mike", apptest.NewKey(t))
	alice.Expect("<helperbot> mike has joined the chat room!")

	mike.Send("/me waves")
	mike.Quiet() // no echo
	alice.Expect("* mike waves")
	mike.Send("/me")
	mike.Expect("<system> Please specify an action.")

	mike.Send("/away at lunch")
	mike.Expect("<system> You're now marked as away: at lunch")
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice", "<helperbot> 2. mike (away)")
	alice.Send("/w mike ping")
	mike.Expect("<helperbot> alice whispered to you: ping")
	alice.Expect("<helperbot> mike is away: at lunch")
	mike.Send("/back")
	mike.Expect("<system> You're no longer marked as away.")
	mike.Send("/back")
	mike.Expect("<system> You're not marked as away.")
	alice.Quiet()
}

// TestUIAwayAndAction: the SSH UI draws an action as "* NAME TEXT", its own
// too, and marks a user who is away in the users pane, with the reason,
// until they are back.
func TestUIAwayAndAction(t *testing.T) {
	t.Parallel()
	alice, mike := aliceAndMike(t, apptest.Config(t))

	alice.Send("/me waves from telnet")
	mike.WaitText("* alice waves from telnet")
	mike.Type("/me nods\r")
	alice.Expect("* mike nods")
	mike.WaitText("* mike nods")

	alice.Send("/away out for lunch")
	alice.Expect("<system> You're now marked as away: out for lunch")
	mike.WaitFor("alice away in the users pane", func(text string) bool {
		_, _, users := panes(strings.Split(text, "\n"), 24)
		return has(users, "alice (out…") && has(users, "mike*")
	})
	alice.Send("/back")
	alice.Expect("<system> You're no longer marked as away.")
	mike.WaitFor("alice back", func(text string) bool {
		_, _, users := panes(strings.Split(text, "\n"), 24)
		return has(users, "alice") && !has(users, "alice (")
	})
	if why := clean(mike.Text(), 80, 24, "mike", "chat"); why != "" {
		t.Errorf("screen not clean: %s\n%s", why, mike.Text())
	}
}
