package hellobot_test

import (
	"strings"
	"testing"

	"chatserver/bots/hellobot"
	"chatserver/chat"
	"chatserver/chat/store"
)

// lines drains what s was sent, as the line protocol renders it.
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

func TestHelloBotGreetsOnlyTheAuthor(t *testing.T) {
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), Plugins: []chat.Plugin{hellobot.Bot{}}})
	if err != nil {
		t.Fatal(err)
	}
	login := func(name string) *chat.Session {
		s, err := hub.Login(t.Context(), name, chat.LoginOptions{Outbox: chat.NewOutbox(0)})
		if err != nil {
			t.Fatalf("Login(%s): %v", name, err)
		}
		lines(s)
		return s
	}
	anna, bob := login("anna"), login("bob")
	cases := []struct {
		text  string
		greet bool
	}{
		{"hello everyone", true},
		{"HELLO", true},
		{"Hello, bob", true},
		{"well hello", false},
		{"hi", false},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			anna.Input(t.Context(), tc.text)
			got := lines(anna)
			if tc.greet && (len(got) != 1 || got[0] != "<hellobot> Hello, anna") {
				t.Errorf("anna says %q: anna got %q, want the greeting", tc.text, got)
			}
			if !tc.greet && len(got) != 0 {
				t.Errorf("anna says %q: anna got %q, want nothing", tc.text, got)
			}
			if got := lines(bob); len(got) != 1 || got[0] != "<anna> "+tc.text {
				t.Errorf("anna says %q: bob got %q, want only the message", tc.text, got)
			}
		})
	}
}
