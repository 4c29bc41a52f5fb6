// Package jsonlines renders the engine's events as JSON lines, for bots
// (PROTOCOL.md, "JSON lines for bots"): one JSON object a line where the
// line protocol has one text line, with the fields
//
//	{"type": T, "time": RFC 3339 with milliseconds, "room": ROOM, "from": NAME, "text": TEXT}
//
// in that order, and "items" for a listing, "history" for a replayed
// message; a field that does not apply is left out. The types:
//
//   - message, action: what a user said in a room (/me for an action);
//     with "history": true, a message or action replayed by /history,
//     with the time it was said.
//   - whisper: a private message; from is who whispered it.
//   - join, leave: from entered or left the room; no text.
//   - system: a "<system>" line, no from.
//   - bot: a plugin's line; from is the plugin.
//   - users, rooms: a reply to /users (room is the room listed) or /rooms,
//     from the plugin, with "items": [{"name": N, "admin": true,
//     "away": true, "invite_only": true}, …], each mark only when set.
//
// Join, leave and the listings are known by the note their plugin gives
// its line (chat.Note), never by its wording. A text of several lines (a
// plugin's block, the help block) is one object a line, as the text door
// sends one line each. Strings are escaped as encoding/json reads them: any
// string round-trips, bytes that are not UTF-8 become U+FFFD, and an
// object never holds a raw line break.
package jsonlines

import (
	"strings"
	"time"
	"unicode/utf8"

	"chatserver/chat"
)

// TimeLayout is the layout of "time": RFC 3339 with milliseconds, in UTC.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// The values of "type".
const (
	TypeMessage = "message"
	TypeAction  = "action"
	TypeWhisper = "whisper"
	TypeJoin    = "join"
	TypeLeave   = "leave"
	TypeSystem  = "system"
	TypeBot     = "bot"
	TypeUsers   = "users"
	TypeRooms   = "rooms"
)

// Append appends e to b as JSON lines, each ended by '\n', and returns the
// extended buffer; an event that has no line (chat.KindRoster,
// chat.KindWhisperSent) appends nothing. Safe for concurrent use: it only
// reads e.
func Append(b []byte, e *chat.Event) []byte {
	o := object{time: e.Time}
	switch e.Kind {
	case chat.KindChat, chat.KindHistory:
		o.typ, o.room, o.from, o.text = TypeMessage, e.Room, e.From, e.Text
		if e.Action {
			o.typ = TypeAction
		}
		o.history = e.Kind == chat.KindHistory
		return o.append(b)
	case chat.KindWhisper:
		o.typ, o.from, o.text = TypeWhisper, e.From, e.Text
		return o.append(b)
	case chat.KindSystem:
		o.typ, o.room = TypeSystem, e.Room
	case chat.KindBot:
		if n := e.Note; n != nil {
			switch n.Kind {
			case chat.NoteJoin, chat.NoteLeave:
				o.typ, o.room, o.from = TypeJoin, e.Room, n.User
				if n.Kind == chat.NoteLeave {
					o.typ = TypeLeave
				}
				return o.append(b)
			case chat.NoteUsers, chat.NoteRooms:
				o.typ, o.room, o.from, o.items, o.list = TypeUsers, n.Room, e.From, n.Items, true
				if n.Kind == chat.NoteRooms {
					o.typ = TypeRooms
				}
				return o.append(b)
			}
		}
		o.typ, o.room, o.from = TypeBot, e.Room, e.From
	default:
		return b
	}
	// One object a line of the text; a last line break ends the text, it
	// does not start an empty line.
	rest := strings.TrimSuffix(e.Text, "\n")
	for {
		line, more, found := strings.Cut(rest, "\n")
		o.text = line
		b = o.append(b)
		if !found {
			return b
		}
		rest = more
	}
}

// object is one JSON line being written.
type object struct {
	typ, room, from, text string
	time                  time.Time // zero leaves "time" out
	items                 []chat.Item
	list                  bool // write "items", even empty
	history               bool
}

func (o *object) append(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, o.typ)
	if t := o.time; !t.IsZero() {
		b = append(b, `,"time":"`...)
		b = t.UTC().AppendFormat(b, TimeLayout)
		b = append(b, '"')
	}
	b = field(b, "room", o.room)
	b = field(b, "from", o.from)
	b = field(b, "text", o.text)
	if o.list {
		b = append(b, `,"items":[`...)
		for i, it := range o.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, it.Name)
			b = flag(b, "admin", it.Admin)
			b = flag(b, "away", it.Away)
			b = flag(b, "invite_only", it.InviteOnly)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = flag(b, "history", o.history)
	return append(b, '}', '\n')
}

// field appends `,"name":"value"`, or nothing for an empty value.
func field(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// flag appends `,"name":true`, or nothing for false.
func flag(b []byte, name string, set bool) []byte {
	if !set {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	return append(b, `":true`...)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string: quotes and backslashes escaped,
// control characters as \n, \r, \t or \u00XX, U+2028 and U+2029 escaped
// (line breaks to JavaScript), and each byte that is not UTF-8 as \ufffd,
// as encoding/json writes them; '<', '>' and '&' are left as they are.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is still to copy
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
