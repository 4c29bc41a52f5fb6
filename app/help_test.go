package app_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// /help COMMAND over telnet: one line for every command of the help
// block, system and helperbot ones, with or without its '/'.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	for _, c := range srv.App.Hub().CommandNames() {
		for _, in := range []string{c, "/" + strings.ToUpper(c)} {
			alice.Send("/help " + in)
			if l := alice.Next(); !strings.HasPrefix(l, "<system> /"+c+" ") && !strings.HasPrefix(l, "<system> /"+c+": ") {
				t.Errorf("/help %s answered %q", in, l)
			}
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"/help ignore", "<system> /ignore [NAME]: Hide everything NAME says from you; without NAME, list whom you ignore."},
		{"/help /unignore", "<system> /unignore NAME: Stop ignoring NAME."},
		{"/help w", "<system> /w NAME TEXT: Whisper TEXT to NAME only, wherever they are."},
		{"/help  gbans", "<system> /gbans: Server operators: list who is banned from the server."},
		{"/help dance", lineNoCommand},
		{"/help helperbot", lineNoCommand},
	} {
		alice.Send(tc.in)
		alice.Expect(tc.want)
	}
	alice.Quiet()
}
