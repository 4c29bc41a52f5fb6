package helperbot_test

import (
	"fmt"
	"reflect"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestNotes: the join and leave lines and the /users and /rooms listings
// carry a note saying what they stand for, with the same facts as their
// text, so that a door that shows more than text (JSON lines) never reads
// the wording; other lines carry none.
func TestNotes(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	anna := chattest.Login(t, hub, "anna")
	bob := chattest.Login(t, hub, "Bob")
	notes := func(s *chat.Session) []*chat.Note {
		evs, _, _ := s.Outbox().Drain(nil)
		var out []*chat.Note
		for _, e := range evs {
			if e.Kind == chat.KindBot {
				out = append(out, e.Note)
			}
		}
		return out
	}
	notes(anna)
	notes(bob)
	bob.Input(t.Context(), "/away lunch")
	anna.Input(t.Context(), "/users")
	anna.Input(t.Context(), "/switch den")
	anna.Input(t.Context(), "/lock")
	anna.Input(t.Context(), "/rooms")
	want := []*chat.Note{
		{Kind: chat.NoteUsers, Room: "chat", Items: []chat.Item{{Name: "anna"}, {Name: "Bob", Away: true}}},
		{Kind: chat.NoteJoin, User: "anna"},
		nil, // 'den' is now invite-only.
		{Kind: chat.NoteRooms, Items: []chat.Item{{Name: "chat"}, {Name: "den", InviteOnly: true}}},
	}
	if got := notes(anna); !reflect.DeepEqual(got, want) {
		t.Errorf("anna's notes = %s, want %s", show(got), show(want))
	}
	if got, want := notes(bob), []*chat.Note{{Kind: chat.NoteLeave, User: "anna"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob's notes = %s, want %s", show(got), show(want))
	}
}

func show(ns []*chat.Note) string {
	s := "["
	for _, n := range ns {
		if n == nil {
			s += " nil"
			continue
		}
		s += fmt.Sprintf(" %+v", *n)
	}
	return s + " ]"
}
