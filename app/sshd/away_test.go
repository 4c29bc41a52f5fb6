package sshd_test

import (
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
