package helperbot

import (
	"context"
	"errors"
	"strconv"

	"chatserver/chat"
)

// mute mutes the named user in the admin's room, online or not, for good
// or for the DURATION given; the admin is told so, and the user too if
// they are online.
func mute(ctx context.Context, b *chat.Bot, c chat.Command) {
	name, d, ok := moderationArgs(b, c, "mute")
	if !ok {
		return
	}
	rec, err := b.Mute(ctx, c.Room, name, d.Std())
	if refused(b, c, "mute", name, err) {
		return
	}
	b.Reply(c.From, rec.Name+" is muted in '"+c.Room+"'"+forText(d)+".")
	b.Reply(rec.Name, "You've been muted in '"+c.Room+"'.")
}

// unmute lifts the mute of the named user in the admin's room; the admin
// is told so, and the user too if they are online.
func unmute(ctx context.Context, b *chat.Bot, c chat.Command) {
	if name, ok := lift(ctx, b, c, "unmute", "muted in", b.Unmute, chat.ErrNotMuted); ok {
		b.Reply(name, "You're no longer muted in '"+c.Room+"'.")
	}
}

// bans lists the bans of the admin's room in force, in the order made.
func bans(b *chat.Bot, c chat.Command) {
	if _, ok := adminArg(b, c, "see the bans"); !ok {
		return
	}
	list := b.Bans(c.Room)
	if len(list) == 0 {
		b.Reply(c.From, "Nobody is banned from '"+c.Room+"'.")
		return
	}
	lines := make([]string, 0, len(list)+1)
	lines = append(lines, "Banned from '"+c.Room+"':")
	for i, ban := range list {
		lines = append(lines, strconv.Itoa(i+1)+". "+ban.Name+" "+untilText(ban))
	}
	b.ReplyLines(c.From, lines...)
}

// untilText shows how long a ban lasts: "(for good)", or "(until
// YYYY-MM-DD HH:MM)" in the server's time zone.
func untilText(ban chat.BanRecord) string {
	if ban.Until.IsZero() {
		return "(for good)"
	}
	return "(until " + ban.Until.Local().Format("2006-01-02 15:04") + ")"
}

// forText is how a reply says how long something lasts: "" for good,
// " for 2h".
func forText(d chat.Duration) string {
	if d == (chat.Duration{}) {
		return ""
	}
	return " for " + d.String()
}

// moderationArgs returns the NAME and the optional DURATION of a /ban or
// /mute (verb) from an admin of the room. Someone else is told they must
// be an admin, a missing NAME the not-found line, a second argument that
// is not a DURATION the durations line; then it reports false. Further
// arguments are ignored.
func moderationArgs(b *chat.Bot, c chat.Command, verb string) (string, chat.Duration, bool) {
	name, ok := adminArg(b, c, verb)
	if !ok {
		return "", chat.Duration{}, false
	}
	if name == "" {
		b.Reply(c.From, notFound)
		return "", chat.Duration{}, false
	}
	_, rest := chat.CutArg(c.Args)
	arg, _ := chat.CutArg(rest)
	if arg == "" {
		return name, chat.Duration{}, true
	}
	d, err := chat.ParseDuration(arg)
	if err != nil {
		b.Reply(c.From, chat.TextDurations)
		return "", chat.Duration{}, false
	}
	return name, d, true
}

// refused answers a ban or mute (verb) of name that failed with err, and
// reports whether it did.
func refused(b *chat.Bot, c chat.Command, verb, name string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, chat.ErrIsAdmin):
		b.Reply(c.From, cannotText(verb, c.Room))
	case errors.Is(err, chat.ErrRoomRecordsFull):
		b.Reply(c.From, tooManyText(c.Room, verb+"s"))
	case errors.Is(err, chat.ErrOpenRoom):
		b.Reply(c.From, "'"+c.Room+"' is open to everyone.") // as for /lock there
	case errors.Is(err, chat.ErrNameInvalid), errors.Is(err, chat.ErrNotFound):
		b.Reply(c.From, notFound) // nobody could be called that
	default:
		b.Log().Error(verb, "user", chat.LogName(name), "room", chat.LogName(c.Room), "err", err)
		b.Reply(c.From, "Could not "+verb+" "+name+", please try again.")
	}
	return true
}

// lift runs an unban or unmute (verb) of the NAME of c from an admin of
// the room with undo, which fails with not when there is nothing to lift;
// state words what is lifted ("banned from", "muted in"). It answers the
// admin and returns the name as it was banned or muted, and whether it
// was lifted.
func lift(ctx context.Context, b *chat.Bot, c chat.Command, verb, state string,
	undo func(context.Context, string, string) (string, error), not error) (string, bool) {
	name, ok := adminArg(b, c, verb)
	if !ok {
		return "", false
	}
	if name == "" {
		b.Reply(c.From, "Please specify a username to "+verb+".")
		return "", false
	}
	shown, err := undo(ctx, c.Room, name)
	switch {
	case errors.Is(err, not):
		if u, ok := b.Find(name); ok {
			name = u.Name // shown as they logged in
		}
		b.Reply(c.From, name+" is not "+state+" '"+c.Room+"'.")
	case err != nil:
		b.Log().Error(verb, "user", chat.LogName(name), "room", chat.LogName(c.Room), "err", err)
		b.Reply(c.From, "Could not "+verb+" "+name+", please try again.")
	default:
		b.Reply(c.From, shown+" is no longer "+state+" '"+c.Room+"'.")
		return shown, true
	}
	return "", false
}
