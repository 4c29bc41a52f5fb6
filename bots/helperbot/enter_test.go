package helperbot_test

import (
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestCanEnter: a user may enter a room unless banned from it; a room that
// does not exist is open.
func TestCanEnter(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	admin, bob := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "bob")
	admin.Input(t.Context(), "/switch den")
	bob.Input(t.Context(), "/switch den")
	admin.Input(t.Context(), "/ban bob")
	for _, tc := range []struct {
		room, name string
		want       bool
	}{
		{"den", "bob", false},
		{"DEN", "Bob", false},
		{"den", "admin", true},
		{"chat", "bob", true},
		{"nowhere", "bob", true},
	} {
		if got := hub.CanEnter(tc.room, tc.name); got != tc.want {
			t.Errorf("CanEnter(%q, %q) = %v, want %v", tc.room, tc.name, got, tc.want)
		}
	}
}
