package hellobot_test

import (
	"testing"

	"chatserver/bots/hellobot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

func TestHelloBotGreetsOnlyTheAuthor(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{hellobot.Bot{}}})
	anna, bob := chattest.Login(t, hub, "anna"), chattest.Login(t, hub, "bob")
	chattest.Lines(anna)
	chattest.Lines(bob)
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
			got := chattest.Lines(anna)
			if tc.greet && (len(got) != 1 || got[0] != "<hellobot> Hello, anna\n") {
				t.Errorf("anna says %q: anna got %q, want the greeting", tc.text, got)
			}
			if !tc.greet && len(got) != 0 {
				t.Errorf("anna says %q: anna got %q, want nothing", tc.text, got)
			}
			if got := chattest.Lines(bob); len(got) != 1 || got[0] != "<anna> "+tc.text+"\n" {
				t.Errorf("anna says %q: bob got %q, want only the message", tc.text, got)
			}
		})
	}
}
