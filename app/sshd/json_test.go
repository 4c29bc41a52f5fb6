package sshd_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
	"chatserver/app/sshd"
	"chatserver/chat"
)

// line is a JSON line expected, by type, room, from and text.
func line(typ, room, from, text string) apptest.JSONLine {
	return apptest.JSONLine{Type: typ, Room: room, From: from, Text: text}
}

// TestJSONEveryType: a real SSH session running "json" gets every type of
// PROTOCOL.md's JSON lines, each one object on one line that encoding/json
// reads, with only the fields that apply; its input is the line protocol,
// and nothing is replayed at login. The text users in the same rooms, on
// telnet and on a plain "ssh -T", still get text lines.
func TestJSONEveryType(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	anna := apptest.Login(t, srv.Telnet, "anna")
	anna.Send("said before the bot came")
	anna.Quiet()
	bot := apptest.DialSSHJSON(t, srv.SSH, "bot", apptest.NewKey(t))
	bot.ExpectJSON(
		line("system", "", "", "Welcome to the chat room!"),
		line("system", "", "", "Logging in as bot"),
		line("join", "chat", "bot", ""), // no replay before or after it
	)
	anna.Expect("<helperbot> bot has joined the chat room!")

	mike := apptest.LoginSSH(t, srv.SSH, "mike", nil) // ssh -T without a command: text lines
	anna.Expect("<helperbot> mike has joined the chat room!")
	bot.ExpectJSON(line("join", "chat", "mike", ""))

	// Quotes, a backslash, emoji, a colour escape and a tab the engine
	// strips, and the line end: one line of JSON, the text as sanitised.
	said := "she said \"hi\" \\o/ 🎉👩‍💻 \x1b[31mred\x1b[0m\tok"
	anna.Send(said)
	anna.Send("/me waves")
	anna.Send("/w bot psst \"secret\"")
	anna.Quiet()
	msg := bot.ExpectJSON(
		line("message", "chat", "anna", chat.Sanitize(said)),
		line("action", "chat", "anna", "waves"),
		line("whisper", "", "anna", `psst "secret"`),
	)
	if strings.ContainsAny(msg[0].Text, "\x1b\t\r\n") || !strings.Contains(msg[0].Raw, `\"hi\" \\o/ 🎉`) {
		t.Errorf("message line %s: want quotes and backslash escaped, emoji as they are, no control character", msg[0].Raw)
	}
	mike.Expect("<anna> "+chat.Sanitize(said), "* anna waves")

	// Input is the line protocol: messages, and commands whose answers
	// are system, bot, users and rooms lines.
	bot.Send("hello from \"json\"")
	anna.Expect(`<bot> hello from "json"`)
	mike.Expect(`<bot> hello from "json"`)
	bot.ExpectJSON(line("bot", "", "hellobot", "Hello, bot")) // a plugin's reply
	mike.Send("/away lunch")
	mike.Expect("<system> You're now marked as away: lunch")
	bot.Send("/users")
	users := bot.ExpectJSON(apptest.JSONLine{Type: "users", Room: "chat", From: "helperbot"})[0]
	wantUsers := []apptest.JSONItem{{Name: "anna"}, {Name: "bot"}, {Name: "mike", Away: true}}
	if !equalItems(users.Items, wantUsers) || !users.Fields["items"] {
		t.Errorf("users line %s, want items %+v", users.Raw, wantUsers)
	}
	anna.Send("/switch den")
	anna.Expect("<system> Switched to room 'den'", "<helperbot> anna has joined the chat room!")
	anna.Send("/lock")
	anna.Expect("<helperbot> 'den' is now invite-only.")
	bot.ExpectJSON(line("leave", "chat", "anna", ""))
	mike.Expect("<helperbot> anna has left the chat room!")
	bot.Send("/rooms")
	rooms := bot.ExpectJSON(apptest.JSONLine{Type: "rooms", From: "helperbot"})[0]
	if want := []apptest.JSONItem{{Name: "chat"}, {Name: "den", InviteOnly: true}}; !equalItems(rooms.Items, want) {
		t.Errorf("rooms line %s, want items %+v", rooms.Raw, want)
	}
	bot.Send("/topic")
	bot.ExpectJSON(line("bot", "", "helperbot", "'chat' has no topic."))
	bot.Send("/history 3")
	replay := bot.ExpectJSON(
		apptest.JSONLine{Type: "message", Room: "chat", From: "anna", Text: chat.Sanitize(said), History: true},
		apptest.JSONLine{Type: "action", Room: "chat", From: "anna", Text: "waves", History: true},
		apptest.JSONLine{Type: "message", Room: "chat", From: "bot", Text: `hello from "json"`, History: true},
	)
	if !replay[0].Time.Equal(msg[0].Time) {
		t.Errorf("replayed message at %v, said at %v", replay[0].Time, msg[0].Time)
	}
	bot.Send("/help")
	help := bot.SyncJSON()
	if len(help) < 10 {
		t.Fatalf("help block: %d lines, want many", len(help))
	}
	for _, l := range help {
		if l.Type != "system" || l.From != "" || strings.Contains(l.Text, "\n") {
			t.Fatalf("help block line %s, want a system line of one line", l.Raw)
		}
	}
	if got := bot.SyncJSON(); len(got) > 0 {
		t.Errorf("unexpected lines: %+v", got)
	}
	bot.Send("/leave")
	bot.ExpectJSON(line("system", "", "", "Leaving chat room."))
	bot.Closed()
	if got := apptest.ExitStatus(t, bot.Session); got != 0 {
		t.Errorf("exit status after /leave = %d, want 0", got)
	}
	mike.Expect("<helperbot> bot has left the chat room!")
}

func equalItems(a, b []apptest.JSONItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestJSONRefused: a name refused at login is told so in a JSON line, then
// exit status 1, as a text session would be.
func TestJSONRefused(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	apptest.Login(t, srv.Telnet, "taken")
	c := apptest.DialSSHJSON(t, srv.SSH, "Taken", nil)
	c.ExpectJSON(
		line("system", "", "", "Welcome to the chat room!"),
		line("system", "", "", "That username is already taken, please try another one."),
	)
	if rest := c.Closed(); len(rest) > 0 {
		t.Errorf("lines after the refusal: %q", rest)
	}
	if got := apptest.ExitStatus(t, c.Session); got != 1 {
		t.Errorf("exit status = %d, want 1", got)
	}
}

// TestJSONWithPty: "json" asked with a pty is still JSON lines, not the UI.
func TestJSONWithPty(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "bot", nil, nil)
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("json"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(`{"type":"system"`))
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != `{"type":"system"` {
		t.Errorf("first bytes %q (%v), want a JSON line", buf, err)
	}
}

// TestJSONRefusedByTheDoor: a refusal the door makes before any login (here
// a second session on one connection) is a JSON line too, and exit status 1.
func TestJSONRefusedByTheDoor(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	first := apptest.DialSSHJSON(t, srv.SSH, "bot", nil)
	first.ExpectJSON(line("system", "", "", "Welcome to the chat room!"), line("system", "", "", "Logging in as bot"))
	second, err := first.SSH.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := second.Output("json")
	var got apptest.JSONLine
	if jerr := json.Unmarshal(out, &got); jerr != nil || got.Type != "system" || got.Text != sshd.TextTooManySessions ||
		strings.Count(string(out), "\n") != 1 || got.Time.IsZero() {
		t.Errorf("second session said %q (%v), want one system line: %s", out, jerr, sshd.TextTooManySessions)
	}
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
		t.Errorf("second session ended with %v, want exit status 1", err)
	}
}
