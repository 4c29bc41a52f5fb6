package helperbot_test

import (
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestWhisperSent: a whisper that reached its user is confirmed to its
// sender on a screen by a KindWhisperSent event, a whisper that did not is
// not; a sender on a line door, which shows nothing for it, gets none.
func TestWhisperSent(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	alice, err := hub.Login(t.Context(), "alice", chat.LoginOptions{Door: "ssh", Outbox: chat.NewOutbox(0), Roster: true})
	if err != nil {
		t.Fatal(err)
	}
	bob := chattest.Login(t, hub, "bob")
	drain := func(s *chat.Session) []*chat.Event {
		evs, _, _ := s.Outbox().Drain(nil)
		return evs
	}
	drain(alice)
	drain(bob)

	alice.Input(t.Context(), "/w BOB  psst  there")
	got := drain(alice)
	if len(got) != 1 || got[0].Kind != chat.KindWhisperSent || got[0].From != "alice" || got[0].To != "bob" || got[0].Text != "psst  there" {
		t.Fatalf("alice got %+v, want one KindWhisperSent to bob of %q", got, "psst  there")
	}
	if l := got[0].Line(); l != nil {
		t.Errorf("KindWhisperSent has the line %q, want none", l)
	}
	if evs := drain(bob); len(evs) != 1 || evs[0].Kind != chat.KindWhisper {
		t.Errorf("bob got %+v, want the whisper", evs)
	}

	drain(alice)
	if bob.Input(t.Context(), "/w alice hi"); len(drain(bob)) != 0 {
		t.Errorf("bob, on a line door, was sent something for his whisper")
	}

	for _, line := range []string{"/w nobody hi", "/w bob", "/w"} {
		alice.Input(t.Context(), line)
		for _, ev := range drain(alice) {
			if ev.Kind == chat.KindWhisperSent {
				t.Errorf("%q: a whisper that was not delivered is confirmed", line)
			}
		}
	}
}
