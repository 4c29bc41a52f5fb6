package jsonlines_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"chatserver/app/jsonlines"
	"chatserver/chat"
)

var at = time.Date(2026, 12, 4, 23, 5, 9, 123456789, time.FixedZone("CET", 3600))

// TestAppend: every kind of event as its JSON lines, byte for byte.
func TestAppend(t *testing.T) {
	t.Parallel()
	const ts = `"time":"2026-12-04T22:05:09.123Z"`
	for _, tc := range []struct {
		name string
		ev   *chat.Event
		want string
	}{
		{"message", &chat.Event{Kind: chat.KindChat, Room: "chat", From: "anna", Text: `say "hi" \o/ 🎉`, Time: at},
			`{"type":"message",` + ts + `,"room":"chat","from":"anna","text":"say \"hi\" \\o/ 🎉"}` + "\n"},
		{"action", &chat.Event{Kind: chat.KindChat, Room: "chat", From: "anna", Text: "waves", Time: at, Action: true},
			`{"type":"action",` + ts + `,"room":"chat","from":"anna","text":"waves"}` + "\n"},
		{"history", &chat.Event{Kind: chat.KindHistory, Room: "den", From: "bob", Text: "old", Time: at, Seq: 3},
			`{"type":"message",` + ts + `,"room":"den","from":"bob","text":"old","history":true}` + "\n"},
		{"history action", &chat.Event{Kind: chat.KindHistory, Room: "den", From: "bob", Text: "old", Time: at, Action: true},
			`{"type":"action",` + ts + `,"room":"den","from":"bob","text":"old","history":true}` + "\n"},
		{"whisper", &chat.Event{Kind: chat.KindWhisper, From: "anna", Bot: "helperbot", Text: "psst <b>&</b>", Time: at},
			`{"type":"whisper",` + ts + `,"from":"anna","text":"psst <b>&</b>"}` + "\n"},
		{"system", &chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: "Logging in as bot", Time: at},
			`{"type":"system",` + ts + `,"text":"Logging in as bot"}` + "\n"},
		{"system block", &chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: "Available commands:\n\tsystem:\n", Time: at},
			`{"type":"system",` + ts + `,"text":"Available commands:"}` + "\n" +
				`{"type":"system",` + ts + `,"text":"\tsystem:"}` + "\n"},
		{"bot", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "'chat' has no topic.", Time: at},
			`{"type":"bot",` + ts + `,"from":"helperbot","text":"'chat' has no topic."}` + "\n"},
		{"bot block", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Banned from 'den':\n1. bob (for good)", Time: at},
			`{"type":"bot",` + ts + `,"from":"helperbot","text":"Banned from 'den':"}` + "\n" +
				`{"type":"bot",` + ts + `,"from":"helperbot","text":"1. bob (for good)"}` + "\n"},
		{"join", &chat.Event{Kind: chat.KindBot, Room: "chat", From: "helperbot", Text: "anna has joined the chat room!", Time: at,
			Note: &chat.Note{Kind: chat.NoteJoin, User: "anna"}},
			`{"type":"join",` + ts + `,"room":"chat","from":"anna"}` + "\n"},
		{"leave", &chat.Event{Kind: chat.KindBot, Room: "chat", From: "helperbot", Text: "anna has left the chat room!", Time: at,
			Note: &chat.Note{Kind: chat.NoteLeave, User: "anna"}},
			`{"type":"leave",` + ts + `,"room":"chat","from":"anna"}` + "\n"},
		{"users", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Current online users:\n1. anna (admin)\n2. bob (away)", Time: at,
			Note: &chat.Note{Kind: chat.NoteUsers, Room: "den", Items: []chat.Item{{Name: "anna", Admin: true}, {Name: "bob", Away: true}}}},
			`{"type":"users",` + ts + `,"room":"den","from":"helperbot","items":[{"name":"anna","admin":true},{"name":"bob","away":true}]}` + "\n"},
		{"rooms", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Currently active rooms:\n1. chat\n2. den (invite-only)", Time: at,
			Note: &chat.Note{Kind: chat.NoteRooms, Items: []chat.Item{{Name: "chat"}, {Name: "den", InviteOnly: true}}}},
			`{"type":"rooms",` + ts + `,"from":"helperbot","items":[{"name":"chat"},{"name":"den","invite_only":true}]}` + "\n"},
		{"empty listing", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Current online users:", Time: at,
			Note: &chat.Note{Kind: chat.NoteUsers, Room: "den"}},
			`{"type":"users",` + ts + `,"room":"den","from":"helperbot","items":[]}` + "\n"},
		{"no time", &chat.Event{Kind: chat.KindSystem, Text: "x"}, `{"type":"system","text":"x"}` + "\n"},
		{"roster", &chat.Event{Kind: chat.KindRoster, Time: at}, ""},
		{"whisper sent", &chat.Event{Kind: chat.KindWhisperSent, From: "a", To: "b", Text: "x", Time: at}, ""},
		{"escapes", &chat.Event{Kind: chat.KindSystem, Text: "a\x00\x1f\r\u2028\u2029\xff\x7f", Time: at},
			`{"type":"system",` + ts + `,"text":"a\u0000\u001f\r\u2028\u2029\ufffd` + "\x7f" + `"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(jsonlines.Append([]byte("kept"), tc.ev))
			if got != "kept"+tc.want {
				t.Errorf("Append(%s event) =\n%s\nwant\n%s", tc.name, got, "kept"+tc.want)
			}
			check(t, []byte(got[len("kept"):]))
		})
	}
}

// check fails unless out is lines of JSON objects, each with a type.
func check(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Fatalf("output %q does not end a line", out)
	}
	var objs []map[string]any
	for line := range bytes.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if _, ok := m["type"].(string); !ok {
			t.Fatalf("line %q has no type", line)
		}
		objs = append(objs, m)
	}
	return objs
}

// FuzzAppend: whatever the strings, every event is lines of JSON that
// encoding/json reads back to the same strings (bytes that are not UTF-8
// as encoding/json itself would write them), one object a line of text.
func FuzzAppend(f *testing.F) {
	f.Add(uint8(chat.KindChat), "chat", "anna", `say "hi" \o/ 🎉`, false)
	f.Add(uint8(chat.KindHistory), "den", "bob", "old\tline", true)
	f.Add(uint8(chat.KindWhisper), "", "anna", "psst\u2028x", false)
	f.Add(uint8(chat.KindSystem), "", "system", "Available commands:\n\tsystem:\n", false)
	f.Add(uint8(chat.KindBot), "chat", "helperbot", "a\nb\r\n\x00\xff", false)
	f.Add(uint8(chat.KindBot), "chat", "helperbot", "</script>&", true)
	f.Fuzz(func(t *testing.T, kind uint8, room, from, text string, action bool) {
		ev := &chat.Event{Kind: chat.Kind(kind % 8), Room: room, From: from, Text: text, Time: at, Action: action}
		if action && ev.Kind == chat.KindBot { // a note, with the strings in it
			ev.Note = &chat.Note{Kind: chat.NoteUsers, Room: room, Items: []chat.Item{{Name: text, Admin: true}, {Name: from}}}
		}
		out := jsonlines.Append(nil, ev)
		objs := check(t, out)
		if len(out) == 0 {
			return
		}
		same := func(field, got, want string) {
			t.Helper()
			if want = valid(want); got != want {
				t.Errorf("%s = %q, want %q", field, got, want)
			}
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		if ev.Note != nil {
			if len(objs) != 1 {
				t.Fatalf("a listing is %d lines, want 1", len(objs))
			}
			items, _ := objs[0]["items"].([]any)
			if len(items) != 2 {
				t.Fatalf("items = %v, want 2", objs[0]["items"])
			}
			same("items[0].name", str(items[0].(map[string]any), "name"), text)
			same("items[1].name", str(items[1].(map[string]any), "name"), from)
			same("room", str(objs[0], "room"), room)
			return
		}
		var texts []string
		for _, o := range objs {
			if got, err := time.Parse(time.RFC3339Nano, str(o, "time")); err != nil || !got.Equal(at.Truncate(time.Millisecond)) {
				t.Errorf("time = %q (%v), want %v", str(o, "time"), err, at)
			}
			texts = append(texts, str(o, "text"))
			if ev.Kind != chat.KindWhisper {
				same("room", str(o, "room"), room)
			}
		}
		if ev.Kind == chat.KindSystem || ev.Kind == chat.KindBot {
			same("text", strings.Join(texts, "\n"), strings.TrimSuffix(text, "\n"))
		} else {
			same("text", texts[0], text)
			same("from", str(objs[0], "from"), from)
		}
	})
}

// valid is s as encoding/json gives it back after writing it.
func valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b, _ := json.Marshal(s)
	var back string
	json.Unmarshal(b, &back)
	return back
}

// BenchmarkAppend: one message, as a bot's writer renders it.
func BenchmarkAppend(b *testing.B) {
	ev := &chat.Event{Kind: chat.KindChat, Room: "chat", From: "anna", Text: `a message of some length, with "quotes" and an emoji 🎉`, Time: at}
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = jsonlines.Append(buf[:0], ev)
	}
}
