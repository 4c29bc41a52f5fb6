package chat

import (
	"strings"
	"sync"
	"time"
)

// Kind says what an Event is.
type Kind uint8

// The kinds of events the engine hands a session.
const (
	// KindChat is a user's message to a room: "<From> Text", or, an
	// action (Action set, /me), "* From Text".
	KindChat Kind = iota + 1
	// KindWhisper is a private message from From, relayed by the plugin Bot:
	// "<Bot> From whispered to you: Text".
	KindWhisper
	// KindSystem is a line from the server itself: "<system> Text".
	KindSystem
	// KindBot is a plugin's line: "<From> Text", From being the plugin; a
	// Text of several lines is sent as that many lines, each tagged.
	KindBot
	// KindHistory is a past message replayed by /history:
	// "<system> [HH:MM] <From> Text", or for an action
	// "<system> [HH:MM] * From Text".
	KindHistory
	// KindRoster says the session's room, its members or the room list
	// changed. It has no line; only sessions that asked for it get it, and
	// one stands for every change until the session calls RosterSeen.
	KindRoster
	// KindWhisperSent tells the sender of a whisper that it was delivered:
	// From whispered Text to To. It has no line: the line protocol gives
	// the sender no echo, and a line door writes nothing for it; a screen
	// shows "you whispered to To: Text".
	KindWhisperSent
)

// SystemName is the sender tag of the server's own lines, reserved as a user name.
const SystemName = "system"

// Event is one thing a session is told. Events are immutable once made and
// shared by every recipient, so a line going to a thousand users is built
// and rendered once.
type Event struct {
	Kind Kind
	Room string    // the room it happened in, "" for a private line
	From string    // the author: a user, "system" or a plugin
	Bot  string    // for KindWhisper, the plugin that relayed it
	To   string    // for KindWhisperSent, the user it went to
	Text string    // already sanitised
	Time time.Time // when the engine made it
	// Seq is, for KindChat and KindHistory, the message's place in its
	// room's one order (1, 2, …, going on across restarts): every member
	// gets a room's messages, and /history and the store keep them, in Seq
	// order. It pages history (Session.Older). 0 for other kinds.
	Seq uint64
	// Action marks, for KindChat and KindHistory, an action (/me TEXT).
	Action bool
	// Note says, for KindBot, what the plugin's line stands for (a join, a
	// leave, a listing), for doors that show more than its text; nil for
	// a plain line.
	Note *Note

	once sync.Once
	line []byte
}

// Line returns the event as the line protocol sends it, '\n' included, or
// nil for events that have no line. It is rendered once; safe for
// concurrent use. The caller must not modify the result.
func (e *Event) Line() []byte {
	e.once.Do(func() { e.line = e.render() })
	return e.line
}

func (e *Event) render() []byte {
	var b []byte
	tag := func(name string) {
		b = append(b, '<')
		b = append(b, name...)
		b = append(b, '>', ' ')
	}
	author := func() { // an action has no sender tag: "* NAME TEXT"
		if !e.Action {
			tag(e.From)
			return
		}
		b = append(b, '*', ' ')
		b = append(b, e.From...)
		b = append(b, ' ')
	}
	switch e.Kind {
	case KindBot:
		// A block from Bot.ReplyLines: one tagged line a text line.
		b = make([]byte, 0, len(e.From)+len(e.Text)+4)
		for rest := e.Text; ; {
			l, more, found := strings.Cut(rest, "\n")
			tag(e.From)
			b = append(b, l...)
			b = append(b, '\n')
			if !found {
				return b
			}
			rest = more
		}
	case KindChat:
		b = make([]byte, 0, len(e.From)+len(e.Text)+4)
		author()
	case KindSystem:
		b = make([]byte, 0, len(e.Text)+10)
		tag(SystemName)
	case KindWhisper:
		tag(e.Bot)
		b = append(b, e.From...)
		b = append(b, " whispered to you: "...)
	case KindHistory:
		tag(SystemName)
		b = e.Time.AppendFormat(b, "[15:04] ")
		author()
	default:
		return nil
	}
	b = append(b, e.Text...)
	return append(b, '\n')
}
