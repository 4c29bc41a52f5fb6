package sshd_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// TestUICtrlNSkipsBannedRooms: Ctrl+N and Ctrl+P pass over a room the user
// is banned from, rather than stopping in front of it.
func TestUICtrlNSkipsBannedRooms(t *testing.T) {
	t.Parallel()
	alice, mike := aliceAndMike(t, apptest.Config(t))
	alice.Send("/switch den")
	alice.Expect("<system> Switched to room 'den'", "<helperbot> alice has joined the chat room!")
	mike.Type("/switch den\r")
	alice.Expect("<helperbot> mike has joined the chat room!")
	alice.Send("/ban mike")
	alice.Expect("<helperbot> mike has left the chat room!", "<helperbot> mike is banned from 'den'.")
	mike.WaitText("You've been banned")
	alice.Send("/switch games")
	alice.Expect("<system> Switched to room 'games'", "<helperbot> alice has joined the chat room!")
	mike.WaitText("▸ chat", "games")
	mike.Type("\x0e") // Ctrl+N: chat, (den), games
	alice.Expect("<helperbot> mike has joined the chat room!")
	mike.WaitText("▸ games", "#games")
	mike.Type("\x10") // Ctrl+P: games, (den), chat
	alice.Expect("<helperbot> mike has left the chat room!")
	mike.WaitText("▸ chat", "#chat")
	if strings.Contains(mike.Text(), "cannot join") {
		t.Errorf("Ctrl+N or Ctrl+P tried the room mike is banned from:\n%s", mike.Text())
	}
}
