package app_test

import (
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// TestUpdateLimits: Update lowers the per-address cap and the flood limits
// while the server runs; the user online stays, the next connection over
// the new cap is refused, and one made after it gets the new flood limits.
func TestUpdateLimits(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	alice := apptest.Login(t, srv.Telnet, "alice")
	s := srv.App.Settings()
	s.MaxConnsPerIP = 1
	srv.App.Update(s)
	apptest.Dial(t, srv.Telnet).ExpectClosed("<system> Too many connections, please try again later.")

	s.MaxConnsPerIP, s.FloodBurst, s.FloodRate = 2, 1, 0.01
	srv.App.Update(s)
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect("<helperbot> bob has joined the chat room!")
	for range 3 {
		bob.Send("hi") // three lines: past a burst of 1, not of the default 20
	}
	bob.Until("<system> " + chat.TextTooFast)
	alice.Send("still here")
	bob.Until("<alice> still here")
}
