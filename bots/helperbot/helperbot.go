// Package helperbot is the helper bot of the original chatserver: /users,
// /rooms, /w, /kick, /ban, /unban and the join and leave lines, and the
// room-rights commands (rights.go).
package helperbot

import (
	"context"
	"errors"
	"strconv"

	"chatserver/chat"
)

// Name is the bot's name, the tag of its lines.
const Name = "helperbot"

// Bot is the helper bot. Its zero value is ready to register.
type Bot struct{ chat.BasePlugin }

// New returns the helper bot.
func New() *Bot { return &Bot{} }

// Name returns "helperbot".
func (*Bot) Name() string { return Name }

// Commands lists the bot's commands in /help order (PROTOCOL.md's
// help block); usage.go explains each.
func (*Bot) Commands() []string {
	return []string{"users", "kick", "ban", "w", "rooms", "unban",
		"topic", "op", "deop", "bans", "mute", "unmute", "lock", "unlock", "invite",
		"gban", "gunban", "gbans"}
}

// UserJoined tells the room, newcomer included, who joined; the line's
// note (chat.NoteJoin) says so to doors that show more than text.
func (*Bot) UserJoined(_ context.Context, b *chat.Bot, u chat.User) {
	b.BroadcastNote(u.Room, u.Name+" has joined the chat room!", &chat.Note{Kind: chat.NoteJoin, User: u.Name})
}

// UserLeft tells the room who left, with a chat.NoteLeave.
func (*Bot) UserLeft(_ context.Context, b *chat.Bot, u chat.User) {
	b.BroadcastNote(u.Room, u.Name+" has left the chat room!", &chat.Note{Kind: chat.NoteLeave, User: u.Name})
}

// CommandReceived runs one of the bot's commands.
func (*Bot) CommandReceived(ctx context.Context, b *chat.Bot, c chat.Command) {
	switch c.Name {
	case "users":
		users(b, c)
	case "rooms":
		rooms(b, c)
	case "w":
		whisper(ctx, b, c)
	case "kick":
		kick(ctx, b, c)
	case "ban":
		ban(ctx, b, c)
	case "unban":
		unban(ctx, b, c)
	case "bans":
		bans(b, c)
	case "mute":
		mute(ctx, b, c)
	case "unmute":
		unmute(ctx, b, c)
	case "topic":
		topic(ctx, b, c)
	case "op":
		op(ctx, b, c)
	case "deop":
		deop(ctx, b, c)
	case "lock", "unlock":
		lock(ctx, b, c, c.Name == "lock")
	case "invite":
		invite(ctx, b, c)
	case "gban":
		gban(ctx, b, c)
	case "gunban":
		gunban(ctx, b, c)
	case "gbans":
		gbans(b, c)
	default: // listed in Commands, not built yet
		b.Notify(c.From, chat.TextNoCommand)
	}
}

const notFound = "Could not find someone with that username."

func users(b *chat.Bot, c chat.Command) {
	members := b.Members(c.Room)
	lines := make([]string, 0, len(members)+1)
	lines = append(lines, "Current online users:")
	items := make([]chat.Item, 0, len(members))
	for i, m := range members {
		items = append(items, chat.Item{Name: m.Name, Admin: m.Admin, Away: m.Away})
		line := strconv.Itoa(i+1) + ". " + m.Name
		if m.Admin {
			line += " (admin)"
		}
		if m.Away {
			line += " (away)"
		}
		lines = append(lines, line)
	}
	b.ReplyNote(c.From, &chat.Note{Kind: chat.NoteUsers, Room: c.Room, Items: items}, lines...)
}

func rooms(b *chat.Bot, c chat.Command) {
	rooms := b.Rooms()
	lines := make([]string, 0, len(rooms)+1)
	lines = append(lines, "Currently active rooms:")
	items := make([]chat.Item, 0, len(rooms))
	for i, r := range rooms {
		items = append(items, chat.Item{Name: r.Name, InviteOnly: r.InviteOnly})
		line := strconv.Itoa(i+1) + ". " + r.Name
		if r.InviteOnly {
			line += " (invite-only)"
		}
		lines = append(lines, line)
	}
	b.ReplyNote(c.From, &chat.Note{Kind: chat.NoteRooms, Items: items}, lines...)
}

func whisper(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, text := chat.CutArg(c.Args)
	u, ok := b.Find(name)
	switch {
	case name == "" || !ok && !absent(b, name):
		b.Reply(c.From, notFound)
	case text == "":
		b.Reply(c.From, "Please specify a message to whisper.")
	case chat.RuneLen(text) > chat.MaxMessageLen:
		b.Notify(c.From, chat.TextTooLong) // the message-length line, as for a message
	case !ok || b.Whisper(c.From, u.Name, text) != nil:
		keepWhisper(ctx, b, c.From, name, text) // offline, or gone since Find
	default:
		b.WhisperSent(c.From, u.Name, text) // a screen shows it; a line door writes nothing
		if reason, away := b.Away(u.Name); away && reason != "" {
			b.Reply(c.From, u.Name+" is away: "+reason)
		} else if away {
			b.Reply(c.From, u.Name+" is away.")
		}
	}
}

// absent reports whether whispers to name are kept for their next login.
func absent(b *chat.Bot, name string) bool {
	_, ok := b.Absent(name)
	return ok
}

// keepWhisper keeps a whisper for the offline protected name to, and tells
// its sender so.
func keepWhisper(ctx context.Context, b *chat.Bot, from, to, text string) {
	shown, err := b.KeepWhisper(ctx, from, to, text)
	switch {
	case errors.Is(err, chat.ErrNotFound): // logged in, or out unprotected, meanwhile
		b.Reply(from, notFound)
	case err != nil:
		b.Log().Error("keep whisper", "user", chat.LogName(to), "err", err)
		b.Reply(from, "Could not keep your message for "+to+", please try again.")
	default:
		b.WhisperSent(from, shown, text)
		b.Reply(from, chat.OfflineText(shown))
	}
}

// kick moves the named user from the admin's room to chat, and tells the
// admin so, right after the leave line they see. An admin who kicks
// themselves gets the kicked line only: they are no longer in the room to
// see the leave line, and that line tells them already.
func kick(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, ok := adminArg(b, c, "kick")
	if !ok {
		return
	}
	u, ok := b.Find(name)
	if name == "" || !ok || chat.Fold(u.Room) != chat.Fold(c.Room) {
		b.Reply(c.From, notFound)
		return
	}
	err := sendOff(b, c.Room, "kicked", "", func() (chat.User, error) { return b.Kick(ctx, u.Name, c.Room) })
	if refused(b, c, "kick", u.Name, err) { // gone since Find, or chat, where kicks land
		return
	}
	if chat.Fold(u.Name) != chat.Fold(c.From) {
		b.Reply(c.From, u.Name+" was kicked from '"+c.Room+"'.")
	}
}

// ban bans the named user from the admin's room, for good or for the
// DURATION given, whether they are in it, elsewhere or offline; if they
// are in it, they are moved to chat. The admin is told so, after the leave
// line when there is one. A name banned already is confirmed again as it
// was banned, with the new duration.
func ban(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, d, ok := moderationArgs(b, c, "ban")
	if !ok {
		return
	}
	rec, err := b.BanFor(ctx, c.Room, name, d.Std())
	if refused(b, c, "ban", name, err) {
		return
	}
	// Banned first, then moved: a /switch into the room that lands after
	// the ban is refused, one that lands before is undone here.
	_ = sendOff(b, c.Room, "banned", forText(d), func() (chat.User, error) { return b.Move(rec.Name, c.Room, chat.DefaultRoom) }) // not in it: nobody to move
	b.Reply(c.From, rec.Name+" is banned from '"+c.Room+"'"+forText(d)+".")
}

// sendOff moves a user from room to chat with move (Kick or Move), if they
// are in it, and tells them they were kicked or banned (done), for how long (span,
// forText's, "" for good). It returns move's error: nobody was moved.
func sendOff(b *chat.Bot, room, done, span string, move func() (chat.User, error)) error {
	moved, err := move()
	if err != nil {
		return err
	}
	b.Reply(moved.Name, "You've been "+done+" from the '"+room+"' room"+span+". You've been returned to '"+chat.DefaultRoom+"'.")
	return nil
}

// adminArg returns the NAME of c, its first argument, if its author is an
// admin of their room. Otherwise it tells them they must be an admin to
// verb, and reports false.
func adminArg(b *chat.Bot, c chat.Command, verb string) (string, bool) {
	if !b.IsAdmin(c.Room, c.From) {
		b.Reply(c.From, "You must be an admin to "+verb+".")
		return "", false
	}
	name, _ := chat.CutArg(c.Args)
	return name, true
}

// tooManyText answers a ban, mute, /op or /invite of a new name in a room
// that holds chat.MaxRoomRecords of them (noun: "bans", "mutes", "admins",
// "invitations").
func tooManyText(room, noun string) string {
	return "'" + room + "' has too many " + noun + " already."
}

// cannotText answers an admin who tries to ban one of the room's admins,
// themselves included: admins are never kept out of their room. verb is
// "ban", or "mute" for a mute.
func cannotText(verb, room string) string {
	return "You cannot " + verb + " an admin of '" + room + "'."
}

func unban(ctx context.Context, b *chat.Bot, c chat.Command) {
	lift(ctx, b, c, "unban", "banned from", b.Unban, chat.ErrNotBanned)
}
