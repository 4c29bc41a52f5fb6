package apptest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// JSONLine is one line of the JSON lines door, decoded (PROTOCOL.md, "JSON
// lines for bots").
type JSONLine struct {
	Type    string     `json:"type"`
	Time    time.Time  `json:"time"`
	Room    string     `json:"room"`
	From    string     `json:"from"`
	Text    string     `json:"text"`
	Items   []JSONItem `json:"items"`
	History bool       `json:"history"`
	// Raw is the line as it came, without its "\n"; Fields, the names of
	// the fields it has.
	Raw    string          `json:"-"`
	Fields map[string]bool `json:"-"`
}

// JSONItem is one entry of a users or rooms line.
type JSONItem struct {
	Name       string `json:"name"`
	Admin      bool   `json:"admin"`
	Away       bool   `json:"away"`
	InviteOnly bool   `json:"invite_only"`
}

// SSHJSON is a session of the JSON lines door: an exec request "json",
// without a pty. Send writes lines of the line protocol; NextJSON reads
// what comes back.
type SSHJSON struct{ *SSHLines }

// DialSSHJSON runs "json" on addr as user, with key or keyboard-interactive
// if key is nil.
func DialSSHJSON(t testing.TB, addr, user string, key gossh.Signer) *SSHJSON {
	t.Helper()
	return &SSHJSON{dialSSHCommand(t, addr, "", user, key, "json")}
}

// NextJSON returns the next line decoded by encoding/json; it fails the
// test if the line is not one JSON object with a type and, if it has a
// time, one in RFC 3339 with milliseconds.
func (c *SSHJSON) NextJSON() JSONLine {
	c.t.Helper()
	raw := c.Next()
	var l JSONLine
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		c.t.Fatalf("line %q is not a JSON object: %v", raw, err)
	}
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		c.t.Fatalf("line %q: %v", raw, err)
	}
	l.Raw, l.Fields = raw, map[string]bool{}
	for k := range fields {
		l.Fields[k] = true
	}
	if l.Type == "" {
		c.t.Fatalf("line %q has no type", raw)
	}
	if l.Fields["time"] {
		var ts string
		json.Unmarshal(fields["time"], &ts)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", ts); err != nil {
			c.t.Fatalf("line %q: time is not RFC 3339 with milliseconds: %v", raw, err)
		}
	}
	return l
}

// ExpectJSON reads the next lines and fails the test unless each has the
// type, room, from and text of want, in order, and the fields of the
// line are exactly those that are set in want, "time" included.
func (c *SSHJSON) ExpectJSON(want ...JSONLine) []JSONLine {
	c.t.Helper()
	var got []JSONLine
	for _, w := range want {
		l := c.NextJSON()
		if l.Type != w.Type || l.Room != w.Room || l.From != w.From || l.Text != w.Text || l.History != w.History {
			c.t.Fatalf("got line %s, want %+v", l.Raw, w)
		}
		for _, f := range []struct {
			name string
			set  bool
		}{{"time", true}, {"room", w.Room != ""}, {"from", w.From != ""}, {"text", w.Text != ""}, {"history", w.History}} {
			if l.Fields[f.name] != f.set {
				c.t.Fatalf("line %s: has %q = %v, want %v", l.Raw, f.name, l.Fields[f.name], f.set)
			}
		}
		got = append(got, l)
	}
	return got
}

// SyncJSON sends "/room" and returns every line that arrived before its
// answer, decoded.
func (c *SSHJSON) SyncJSON() []JSONLine {
	c.t.Helper()
	c.Send("/room")
	var before []JSONLine
	for {
		l := c.NextJSON()
		if l.Type == "system" && strings.HasPrefix(l.Text, "You're currently in the '") {
			return before
		}
		before = append(before, l)
	}
}
