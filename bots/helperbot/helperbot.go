// Package helperbot is the helper bot of the original chatserver: /users,
// /rooms, /w, /kick, /ban, /unban and the join and leave lines.
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

// Commands lists the bot's commands in /help order.
func (*Bot) Commands() []string {
	return []string{"users", "kick", "ban", "w", "rooms", "unban"}
}

// UserJoined tells the room, newcomer included, who joined.
func (*Bot) UserJoined(_ context.Context, b *chat.Bot, u chat.User) {
	b.Broadcast(u.Room, u.Name+" has joined the chat room!")
}

// UserLeft tells the room who left.
func (*Bot) UserLeft(_ context.Context, b *chat.Bot, u chat.User) {
	b.Broadcast(u.Room, u.Name+" has left the chat room!")
}

// CommandReceived runs one of the bot's commands.
func (*Bot) CommandReceived(ctx context.Context, b *chat.Bot, c chat.Command) {
	switch c.Name {
	case "users":
		users(b, c)
	case "rooms":
		rooms(b, c)
	case "w":
		whisper(b, c)
	case "kick":
		remove(ctx, b, c, false)
	case "ban":
		remove(ctx, b, c, true)
	case "unban":
		unban(ctx, b, c)
	}
}

const notFound = "Could not find someone with that username."

func users(b *chat.Bot, c chat.Command) {
	members := b.Members(c.Room)
	lines := make([]string, 0, len(members)+1)
	lines = append(lines, "Current online users:")
	for i, m := range members {
		line := strconv.Itoa(i+1) + ". " + m.Name
		if m.Admin {
			line += " (admin)"
		}
		if m.Away {
			line += " (away)"
		}
		lines = append(lines, line)
	}
	b.ReplyLines(c.From, lines...)
}

func rooms(b *chat.Bot, c chat.Command) {
	rooms := b.Rooms()
	lines := make([]string, 0, len(rooms)+1)
	lines = append(lines, "Currently active rooms:")
	for i, r := range rooms {
		lines = append(lines, strconv.Itoa(i+1)+". "+r.Name)
	}
	b.ReplyLines(c.From, lines...)
}

func whisper(b *chat.Bot, c chat.Command) {
	name, text := chat.CutArg(c.Args)
	u, ok := b.Find(name)
	switch {
	case name == "" || !ok:
		b.Reply(c.From, notFound)
	case text == "":
		b.Reply(c.From, "Please specify a message to whisper.")
	case chat.RuneLen(text) > chat.MaxMessageLen:
		b.Notify(c.From, chat.TextTooLong) // the message-length line, as for a message
	default:
		if err := b.Whisper(c.From, u.Name, text); err != nil {
			b.Reply(c.From, notFound)
			return
		}
		b.WhisperSent(c.From, u.Name, text) // a screen shows it; a line door writes nothing
		if reason, away := b.Away(u.Name); away && reason != "" {
			b.Reply(c.From, u.Name+" is away: "+reason)
		} else if away {
			b.Reply(c.From, u.Name+" is away.")
		}
	}
}

// remove kicks, or bans, the named user from the admin's room to chat.
func remove(ctx context.Context, b *chat.Bot, c chat.Command, ban bool) {
	verb, done := "kick", "kicked"
	if ban {
		verb, done = "ban", "banned"
	}
	if !b.IsAdmin(c.Room, c.From) {
		b.Reply(c.From, "You must be an admin to "+verb+".")
		return
	}
	name, _ := chat.CutArg(c.Args)
	if ban && name != "" && b.IsAdmin(c.Room, name) {
		b.Reply(c.From, cannotText(verb, c.Room))
		return
	}
	u, ok := b.Find(name)
	if name == "" || !ok || chat.Fold(u.Room) != chat.Fold(c.Room) {
		b.Reply(c.From, notFound)
		return
	}
	if ban {
		if err := b.Ban(ctx, c.Room, u.Name); errors.Is(err, chat.ErrIsAdmin) {
			b.Reply(c.From, cannotText(verb, c.Room))
			return
		} else if err != nil {
			b.Log().Error("ban", "user", chat.LogName(u.Name), "room", chat.LogName(c.Room), "err", err)
			b.Reply(c.From, "Could not ban "+u.Name+", please try again.")
			return
		}
	}
	moved, err := b.Move(u.Name, c.Room, chat.DefaultRoom)
	if errors.Is(err, chat.ErrNotFound) {
		if !ban {
			b.Reply(c.From, notFound)
		}
		return
	}
	b.Reply(moved.Name, "You've been "+done+" from the '"+u.Room+"' room. You've been returned to '"+chat.DefaultRoom+"'.")
}

// cannotText answers an admin who tries to ban one of the room's admins,
// themselves included: admins are never kept out of their room. verb is
// "ban", or "mute" for a mute.
func cannotText(verb, room string) string {
	return "You cannot " + verb + " an admin of '" + room + "'."
}

func unban(ctx context.Context, b *chat.Bot, c chat.Command) {
	if !b.IsAdmin(c.Room, c.From) {
		b.Reply(c.From, "You must be an admin to unban.")
		return
	}
	name, _ := chat.CutArg(c.Args)
	if name == "" {
		b.Reply(c.From, "Please specify a username to unban.")
		return
	}
	shown, err := b.Unban(ctx, c.Room, name)
	switch {
	case errors.Is(err, chat.ErrNotBanned):
		if u, ok := b.Find(name); ok {
			name = u.Name // shown as they logged in
		}
		b.Reply(c.From, name+" is not banned from '"+c.Room+"'.")
	case err != nil:
		b.Log().Error("unban", "user", chat.LogName(name), "room", chat.LogName(c.Room), "err", err)
		b.Reply(c.From, "Could not unban "+name+", please try again.")
	default:
		b.Reply(c.From, shown+" is no longer banned from '"+c.Room+"'.")
	}
}
