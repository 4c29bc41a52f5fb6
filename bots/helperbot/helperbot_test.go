package helperbot_test

import (
	"slices"
	"strings"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestBanSurvivesReconnect checks the engine-level contract the e2e tests
// rely on: a ban is kept by name, so logging out and in again does not
// lift it, and /unban does.
func TestBanSurvivesReconnect(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	login := func(name string) *chat.Session { return chattest.Login(t, hub, name) }
	lines := func(s *chat.Session) []string { // without the "\n"
		got := chattest.Lines(s)
		for i, l := range got {
			got[i] = strings.TrimSuffix(l, "\n")
		}
		return got
	}
	admin, bob := login("admin"), login("bob")
	admin.Input(t.Context(), "/switch den")
	bob.Input(t.Context(), "/switch den")
	lines(admin)
	lines(bob)
	admin.Input(t.Context(), "/ban BOB")
	if got, want := lines(bob), "<helperbot> You've been banned from the 'den' room. You've been returned to 'chat'."; len(got) == 0 || got[len(got)-1] != want {
		t.Fatalf("bob got %q, want last %q", got, want)
	}
	if got, want := lines(admin), []string{"<helperbot> bob has left the chat room!", "<helperbot> bob is banned from 'den'."}; !slices.Equal(got, want) {
		t.Fatalf("admin got %q, want %q", got, want)
	}
	bob.Close()
	bob = login("Bob")
	lines(bob)
	bob.Input(t.Context(), "/switch den")
	if got := lines(bob); len(got) != 1 || got[0] != "<helperbot> You're banned from this room and cannot join." {
		t.Fatalf("banned Bob switching got %q", got)
	}
	admin.Input(t.Context(), "/unban bob")
	if got := lines(admin); len(got) != 1 || got[0] != "<helperbot> bob is no longer banned from 'den'." {
		t.Fatalf("unban got %q", got)
	}
	bob.Input(t.Context(), "/switch den")
	if got := lines(bob); len(got) == 0 || got[0] != "<system> Switched to room 'den'" {
		t.Fatalf("unbanned Bob switching got %q", got)
	}
}
