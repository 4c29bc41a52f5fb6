package helperbot_test

import (
	"strings"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/store"
)

func lines(s *chat.Session) []string {
	evs, _, _ := s.Outbox().Drain(nil)
	var out []string
	for _, e := range evs {
		if l := e.Line(); l != nil {
			out = append(out, strings.TrimSuffix(string(l), "\n"))
		}
	}
	return out
}

// TestBanSurvivesReconnect checks the engine-level contract the e2e tests
// rely on: a ban is kept by name, so logging out and in again does not
// lift it, and /unban does.
func TestBanSurvivesReconnect(t *testing.T) {
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), Plugins: []chat.Plugin{helperbot.New()}})
	if err != nil {
		t.Fatal(err)
	}
	login := func(name string) *chat.Session {
		s, err := hub.Login(t.Context(), name, chat.LoginOptions{Outbox: chat.NewOutbox(0)})
		if err != nil {
			t.Fatalf("Login(%s): %v", name, err)
		}
		return s
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
	if got := lines(admin); len(got) != 1 || got[0] != "<helperbot> bob has left the chat room!" {
		t.Fatalf("admin got %q, want bob's leave line only", got)
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
