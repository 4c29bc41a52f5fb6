package chat

// NoteKind says what a plugin's line stands for (Note.Kind).
type NoteKind uint8

// The kinds of notes a plugin may attach to its lines.
const (
	// NoteJoin: Note.User entered the event's room.
	NoteJoin NoteKind = iota + 1
	// NoteLeave: Note.User left the event's room.
	NoteLeave
	// NoteUsers: a /users listing of Note.Room, one Item a member.
	NoteUsers
	// NoteRooms: a /rooms listing, one Item a room.
	NoteRooms
)

// Note is what a plugin's line (KindBot) stands for, attached by the
// plugin (Bot.BroadcastNote, Bot.ReplyNote) for a door that shows more
// than the line's text: the JSON lines door tells a join from any other
// line by its note, never by its wording. A Note is immutable once
// attached, shared as its event is.
type Note struct {
	Kind  NoteKind
	User  string // NoteJoin, NoteLeave: who joined or left
	Room  string // NoteUsers: the room listed
	Items []Item // NoteUsers, NoteRooms: the entries, in the listing's order
}

// Item is one entry of a listing: a member of a room (NoteUsers) or a
// room (NoteRooms), with the marks the listing shows.
type Item struct {
	Name       string
	Admin      bool // NoteUsers: an admin of the room
	Away       bool // NoteUsers: marked away (/away)
	InviteOnly bool // NoteRooms: locked (/lock)
}

// BroadcastNote is Broadcast with n attached to the line: "<plugin> text"
// to everyone in room, in the room's order.
func (b *Bot) BroadcastNote(room, text string, n *Note) {
	ev := b.event(text)
	ev.Note = n
	b.broadcast(room, ev)
}

// ReplyNote is ReplyLines with n attached to the block: lines to the user
// called name, each as "<plugin> line", as one outbox entry. It does
// nothing if they are offline.
func (b *Bot) ReplyNote(name string, n *Note, lines ...string) {
	ev := b.event(joinLines(lines))
	ev.Note = n
	b.push(name, ev)
}
