package jsonbot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
	"chatserver/bots/jsonbot"
)

var now = time.Date(2026, 12, 4, 23, 59, 30, 0, time.UTC)

// TestAnswer: what the bot says to each line, and to what it says nothing.
func TestAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   jsonbot.Line
		want string // "" for no answer
	}{
		{"time", jsonbot.Line{Type: "message", Room: "chat", From: "anna", Text: "!time"}, "The time is 2026-12-04 23:59 UTC."},
		{"echo", jsonbot.Line{Type: "message", From: "anna", Text: `!echo hi "you" 🎉`}, `anna: hi "you" 🎉`},
		{"echo a command", jsonbot.Line{Type: "message", From: "anna", Text: "!echo /leave"}, "anna: /leave"},
		{"whispered", jsonbot.Line{Type: "whisper", From: "anna", Text: "!time"}, "/w anna The time is 2026-12-04 23:59 UTC."},
		{"echo nothing", jsonbot.Line{Type: "message", From: "anna", Text: "!echo  "}, ""},
		{"itself", jsonbot.Line{Type: "message", From: "TimeBot", Text: "!time"}, ""},
		{"replayed", jsonbot.Line{Type: "message", From: "anna", Text: "!time", History: true}, ""},
		{"action", jsonbot.Line{Type: "action", From: "anna", Text: "!time"}, ""},
		{"bot line", jsonbot.Line{Type: "bot", From: "hellobot", Text: "!time"}, ""},
		{"chatter", jsonbot.Line{Type: "message", From: "anna", Text: "what !time is it"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := jsonbot.Answer(tc.in, "timebot", now)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("Answer(%+v) = %q, %v, want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

// TestEndToEnd: the bot, a separate client over SSH, runs "json" on the
// real server and answers a telnet user in the room and in a whisper;
// stopping it logs it out.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	anna := apptest.Login(t, srv.Telnet, "anna")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- jsonbot.Run(ctx, jsonbot.Config{
			Addr: srv.SSH, Name: "timebot", Auth: []gossh.AuthMethod{gossh.PublicKeys(apptest.NewKey(t))},
			HostKey: gossh.InsecureIgnoreHostKey(), Now: func() time.Time { return now },
		})
	}()
	anna.Expect("<helperbot> timebot has joined the chat room!")
	anna.Send("!time")
	anna.Expect("<timebot> The time is 2026-12-04 23:59 UTC.")
	anna.Send(`!echo she said "hi" 🎉`)
	anna.Expect(`<timebot> anna: she said "hi" 🎉`)
	anna.Send("/w timebot !time")
	anna.Expect("<helperbot> timebot whispered to you: The time is 2026-12-04 23:59 UTC.")
	anna.Send("hello everyone") // hellobot answers anna; the bot says nothing
	anna.Expect("<hellobot> Hello, anna")
	anna.Quiet()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(apptest.Wait):
		t.Fatal("Run still running after cancel")
	}
	anna.Expect("<helperbot> timebot has left the chat room!")
}

// TestRefused: a bot whose name is taken ends with the server's reason.
func TestRefused(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	apptest.Login(t, srv.Telnet, "timebot")
	err := jsonbot.Run(t.Context(), jsonbot.Config{
		Addr: srv.SSH, Name: "timebot", HostKey: gossh.InsecureIgnoreHostKey(),
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })},
	})
	if err == nil || !strings.Contains(err.Error(), "That username is already taken") {
		t.Fatalf("Run = %v, want the refusal", err)
	}
}
