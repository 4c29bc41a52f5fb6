package chat_test

import (
	"slices"
	"strings"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// /help COMMAND: one line for every command of the help block, with or
// without its '/', in any case; a plugin explains its own (chat.Documented)
// or is named.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New(), panicky{}}})
	alice := login(t, h, "alice")
	drainLines(alice)
	for _, c := range h.CommandNames() {
		for _, in := range []string{c, "/" + c} {
			alice.Input(t.Context(), "/help "+in)
			got := drainLines(alice)
			if len(got) != 1 || !strings.HasPrefix(got[0], "<system> /"+c+" ") && !strings.HasPrefix(got[0], "<system> /"+c+": ") {
				t.Errorf("/help %s answered %q", in, got)
			}
		}
	}
	tests := []struct{ in, want string }{
		{"/help BAN", "/ban NAME [DURATION]: Admins: keep NAME (and their SSH key) out of your room, for good or for DURATION (30m, 2h, 7d)."},
		{"/help /ignore extra", "/ignore [NAME]: Hide everything NAME says from you; without NAME, list whom you ignore."},
		{"/help room", "/room: Show the room you're in."},
		{"/help boom", "/boom: a command of panicky."},
		{"/help dance", "Command not found."},
		{"/help /", "Command not found."},
		{"/help panicky", "Command not found."},
	}
	systemAnswers(t, alice, tests)
}

// systemAnswers checks that each line typed by s is answered with its one
// system line.
func systemAnswers(t *testing.T, s *chat.Session, tests []struct{ in, want string }) {
	t.Helper()
	for _, tc := range tests {
		s.Input(t.Context(), tc.in)
		if got, want := drainLines(s), []string{"<system> " + tc.want + "\n"}; !slices.Equal(got, want) {
			t.Errorf("%q answered %q, want %q", tc.in, got, want)
		}
	}
}
