package cluster

import (
	"encoding/json"
	"errors"
	"fmt"

	"chatserver/chat"
)

// MaxLineBytes caps a message of LinesStream as a node reads it: a
// user's line is chat.MaxMessageLen characters, a plugin's a little more;
// a node (or anyone publishing on the stream's subjects) that sends more
// has its message skipped, logged, rather than kept in every node's
// history ring and store.
const MaxLineBytes = 16 << 10

// maxRosterID caps the session id of a roster event (a node's name and a
// session's number).
const maxRosterID = 512

// errBadLine is the error of a message of LinesStream DecodeLine refuses.
var errBadLine = errors.New("bad line")

// DecodeLine decodes a message of LinesStream (Lines.Run): at most
// MaxLineBytes of JSON, naming a room; a roster event of a known kind
// (chat.RosterEnter, RosterLeave, RosterGone) with a name and a session
// id, or a user's line (chat.KindChat, from someone, at most
// chat.MaxMessageLen characters) or a plugin's (chat.KindBot). Anything
// else is an error wrapping errBadLine.
func DecodeLine(data []byte) (chat.Line, error) {
	if len(data) > MaxLineBytes {
		return chat.Line{}, fmt.Errorf("%w: %d bytes, over %d", errBadLine, len(data), MaxLineBytes)
	}
	var l chat.Line
	if err := json.Unmarshal(data, &l); err != nil {
		return chat.Line{}, fmt.Errorf("%w: %w", errBadLine, err)
	}
	switch {
	case l.Room == "":
		return chat.Line{}, fmt.Errorf("%w: no room", errBadLine)
	case l.Roster != "":
		if l.Roster != chat.RosterEnter && l.Roster != chat.RosterLeave && l.Roster != chat.RosterGone {
			return chat.Line{}, fmt.Errorf("%w: roster event %.20q", errBadLine, l.Roster)
		}
		if l.From == "" || l.ID == "" || len(l.ID) > maxRosterID {
			return chat.Line{}, fmt.Errorf("%w: roster event of %.20q, id of %d bytes", errBadLine, l.From, len(l.ID))
		}
	case l.Kind == chat.KindChat:
		if l.From == "" || chat.RuneLen(l.Text) > chat.MaxMessageLen {
			return chat.Line{}, fmt.Errorf("%w: line of %d characters from %.20q", errBadLine, chat.RuneLen(l.Text), l.From)
		}
	case l.Kind != chat.KindBot:
		return chat.Line{}, fmt.Errorf("%w: kind %d", errBadLine, l.Kind)
	}
	return l, nil
}
