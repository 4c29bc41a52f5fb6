package cluster_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
)

// FuzzDecodeLine: whatever is on the lines' stream (a node's line, a
// roster event, or anything else published on chat.room.>), DecodeLine
// never panics, and what it accepts is within its bounds (a room, a known
// roster event or kind, a user's line of at most chat.MaxMessageLen
// characters) and encodes back to something it accepts alike: a buggy or
// hostile publisher costs its own message, never a node.
func FuzzDecodeLine(f *testing.F) {
	at := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	for _, l := range []chat.Line{
		{Kind: chat.KindChat, Room: "lounge", From: "anna", Text: "hi", Time: at, Node: "a"},
		{Kind: chat.KindChat, Room: "chat", From: "bob", Text: "waves", Time: at, Action: true, Node: "b"},
		{Kind: chat.KindBot, Room: "chat", From: "helperbot", Text: "anna has joined the chat room!", Time: at, Note: &chat.Note{Kind: chat.NoteJoin, User: "anna"}},
		{Room: "lounge", From: "anna", Time: at, Roster: chat.RosterEnter, ID: "k2x9", Node: "a"},
		{Room: "lounge", From: "anna", Time: at, Roster: chat.RosterGone, ID: "a/k2x9", Node: "c"},
	} {
		data, err := json.Marshal(l)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "null", "{}", `[]`, `{"k":1}`, `{"k":1,"r":"x"}`, `{"k":9,"r":"x","f":"a"}`,
		`{"r":"x","f":"a","e":"enter"}`, `{"r":"x","f":"a","e":"dance","i":"1"}`, `{"k":2,"r":"x","n":{"Items":[{},{}]}}`,
		`{"k":1,"r":"x","f":"a","t":"` + strings.Repeat("é", chat.MaxMessageLen+1) + `"}`, `{"k":1,"r":"x","f":"a","at":"nope"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := cluster.DecodeLine(data)
		if err != nil {
			return
		}
		if len(data) > cluster.MaxLineBytes || l.Room == "" {
			t.Fatalf("accepted %d bytes, room %q", len(data), l.Room)
		}
		if l.Roster == "" && l.Kind == chat.KindChat && chat.RuneLen(l.Text) > chat.MaxMessageLen {
			t.Fatalf("accepted a line of %d characters", chat.RuneLen(l.Text))
		}
		again, err := json.Marshal(l)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", l, err)
		}
		back, err := cluster.DecodeLine(again)
		if err != nil {
			if len(again) > cluster.MaxLineBytes { // re-encoding escaped what came unescaped
				return
			}
			t.Fatalf("decode %s again: %v", again, err)
		}
		if third, _ := json.Marshal(back); !bytes.Equal(third, again) {
			t.Fatalf("round trip of %s = %s", again, third)
		}
	})
}

// TestDecodeLineRefuses: a message on the lines' stream that no node
// publishes (too big, another kind, a roster event of no one, a user's
// line longer than anyone may type) is refused, so no node keeps it in
// its rooms' history or shows it to its users.
func TestDecodeLineRefuses(t *testing.T) {
	long := strings.Repeat("a", chat.MaxMessageLen+1)
	for _, bad := range []string{
		`{"k":1,"r":"x","f":"a","t":"` + strings.Repeat("a", cluster.MaxLineBytes) + `"}`,
		`{"k":1,"r":"x","f":"a","t":"` + long + `"}`,
		`{"k":7,"r":"x","f":"a","t":"hi"}`,
		`{"k":1,"f":"a","t":"hi"}`,
		`{"r":"x","e":"enter","i":"1"}`,
		`{"r":"x","f":"a","e":"enter"}`,
		`{"r":"x","f":"a","e":"crown","i":"1"}`,
		`not json`,
	} {
		if l, err := cluster.DecodeLine([]byte(bad)); err == nil {
			t.Errorf("DecodeLine(%.60s) = %+v, want an error", bad, l)
		}
	}
	if _, err := cluster.DecodeLine([]byte(`{"k":1,"r":"x","f":"a","t":"` + long[1:] + `"}`)); err != nil {
		t.Errorf("a line of chat.MaxMessageLen characters refused: %v", err)
	}
}
