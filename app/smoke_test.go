package app_test

import (
	"testing"

	"chatserver/app/apptest"
)

func TestTwoUsersChat(t *testing.T) {
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect("<helperbot> bob has joined the chat room!")
	alice.Send("hi bob")
	alice.Quiet() // no echo, and the message is queued for bob by now
	bob.Expect("<alice> hi bob")
}
