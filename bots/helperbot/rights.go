package helperbot

import (
	"context"
	"errors"

	"chatserver/chat"
)

// The room-rights commands: /topic, /op, /deop, /lock, /unlock, /invite.
// The engine keeps the state (chat.Bot.SetTopic, Op, Deop, Lock, Invite);
// these words it for the users, as PROTOCOL.md's second release says.

// topic shows the topic of the user's room, or, for its admins, sets it
// ("-" clears it) and tells the room, the admin included.
func topic(ctx context.Context, b *chat.Bot, c chat.Command) {
	room := "'" + c.Room + "'"
	if c.Args == "" {
		if t := b.Topic(c.Room); t != "" {
			b.Reply(c.From, "The topic of "+room+" is: "+t)
		} else {
			b.Reply(c.From, room+" has no topic.")
		}
		return
	}
	if !b.IsAdmin(c.Room, c.From) {
		b.Reply(c.From, "You must be an admin to set the topic.")
		return
	}
	text, line := c.Args, c.From+" set the topic of "+room+" to: "+c.Args
	if text == "-" {
		text, line = "", c.From+" cleared the topic of "+room+"."
	}
	err := b.SetTopic(ctx, c.Room, c.From, text)
	switch {
	case errors.Is(err, chat.ErrTopicTooLong):
		b.Reply(c.From, "A topic cannot exceed 200 characters.")
	case err != nil:
		failed(b, c, "set the topic", err)
	default:
		b.Broadcast(c.Room, line)
	}
}

// failed logs err, which kept c from being done, and tells its author to
// try again.
func failed(b *chat.Bot, c chat.Command, what string, err error) {
	b.Log().Error(c.Name, "user", chat.LogName(c.From), "room", chat.LogName(c.Room), "err", err)
	b.Reply(c.From, "Could not "+what+", please try again.")
}

// tellRoomAndName tells the room line, and the user called name too if
// they are online in another room (once: the room's members have it).
func tellRoomAndName(b *chat.Bot, room, name, line string) {
	b.Broadcast(room, line)
	if u, ok := b.Find(name); ok && chat.Fold(u.Room) != chat.Fold(room) {
		b.Reply(u.Name, line)
	}
}

// op makes a name an admin of the admin's room.
func op(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, ok := adminArg(b, c, "op")
	if !ok {
		return
	}
	shown, err := b.Op(ctx, c.Room, name, c.From)
	switch {
	case name == "", errors.Is(err, chat.ErrNameInvalid), errors.Is(err, chat.ErrNotFound):
		b.Reply(c.From, notFound) // nobody could be called that
	case errors.Is(err, chat.ErrIsAdmin):
		b.Reply(c.From, shown+" is already an admin of '"+c.Room+"'.")
	case errors.Is(err, chat.ErrRoomRecordsFull):
		b.Reply(c.From, tooManyText(c.Room, "admins"))
	case err != nil:
		failed(b, c, "op "+name, err)
	default:
		tellRoomAndName(b, c.Room, shown, shown+" is now an admin of '"+c.Room+"'.")
	}
}

// deop takes the rights /op gave; only the room's creator or an operator
// may.
func deop(ctx context.Context, b *chat.Bot, c chat.Command) {
	if !b.IsCreator(c.Room, c.From) && !b.IsOperator(c.From) {
		b.Reply(c.From, "You must be an admin to deop.")
		return
	}
	name, _ := chat.CutArg(c.Args)
	if name == "" {
		b.Reply(c.From, notFound)
		return
	}
	shown, err := b.Deop(ctx, c.Room, name)
	switch {
	case errors.Is(err, chat.ErrIsCreator):
		b.Reply(c.From, "The creator of '"+c.Room+"' is always its admin.")
	case errors.Is(err, chat.ErrNotAdmin), errors.Is(err, chat.ErrNotFound):
		b.Reply(c.From, shown+" is not an admin of '"+c.Room+"'.")
	case err != nil:
		failed(b, c, "deop "+name, err)
	default:
		tellRoomAndName(b, c.Room, shown, shown+" is no longer an admin of '"+c.Room+"'.")
	}
}

// lock makes the admin's room invite-only (locked) or open again, and
// tells its members.
func lock(ctx context.Context, b *chat.Bot, c chat.Command, locked bool) {
	if _, ok := adminArg(b, c, c.Name); !ok {
		return
	}
	err := b.Lock(ctx, c.Room, locked)
	switch {
	case errors.Is(err, chat.ErrOpenRoom):
		b.Reply(c.From, "'"+c.Room+"' is open to everyone.")
	case err != nil:
		failed(b, c, c.Name+" '"+c.Room+"'", err)
	case locked:
		b.Broadcast(c.Room, "'"+c.Room+"' is now invite-only.")
	default:
		b.Broadcast(c.Room, "'"+c.Room+"' is open to everyone again.")
	}
}

// invite lets a name into the admin's locked room, and tells them if they
// are online (the engine tells a protected name at its next login).
func invite(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, ok := adminArg(b, c, "invite")
	if !ok {
		return
	}
	shown, online, err := b.Invite(ctx, c.Room, name, c.From)
	switch {
	case errors.Is(err, chat.ErrNotLocked):
		b.Reply(c.From, "'"+c.Room+"' is open to everyone.")
	case errors.Is(err, chat.ErrRoomRecordsFull):
		b.Reply(c.From, tooManyText(c.Room, "invitations"))
	case name == "", errors.Is(err, chat.ErrNameInvalid), errors.Is(err, chat.ErrNotFound):
		b.Reply(c.From, notFound)
	case err != nil:
		failed(b, c, "invite "+name, err)
	default:
		b.Reply(c.From, shown+" may now join '"+c.Room+"'.")
		if online {
			b.Reply(shown, chat.InvitedText(c.From, c.Room))
		}
	}
}
