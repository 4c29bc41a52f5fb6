package helperbot

import (
	"context"
	"errors"
	"strconv"

	"chatserver/chat"
)

// textNotOperator answers the /g… commands of anyone but a server operator.
const textNotOperator = "You must be a server operator to do that."

// operatorOnly tells the author of c, unless they are a server operator,
// that they must be one, and reports whether they are.
func operatorOnly(b *chat.Bot, c chat.Command) bool {
	if !b.IsOperator(c.From) {
		b.Reply(c.From, textNotOperator)
		return false
	}
	return true
}

// gban bans NAME from the whole server, with the key and the address they
// are online with, for good or for DURATION: /gban NAME [DURATION]. The
// banned user, if online, is told and disconnected by the engine.
func gban(ctx context.Context, b *chat.Bot, c chat.Command) {
	if !operatorOnly(b, c) {
		return
	}
	name, rest := chat.CutArg(c.Args)
	if name == "" {
		b.Reply(c.From, notFound)
		return
	}
	var d chat.Duration
	if arg, _ := chat.CutArg(rest); arg != "" {
		var err error
		if d, err = chat.ParseDuration(arg); err != nil {
			b.Reply(c.From, chat.TextDurations)
			return
		}
	}
	rec, err := b.ServerBan(ctx, name, c.From, d.Std())
	switch {
	case errors.Is(err, chat.ErrNameInvalid):
		b.Reply(c.From, notFound) // nobody could be called that
	case err != nil:
		b.Log().Error("server ban", "user", chat.LogName(name), "err", err)
		b.Reply(c.From, "Could not ban "+name+", please try again.")
	case d.N > 0:
		b.Reply(c.From, rec.Name+" is banned from this server for "+d.String()+".")
	default:
		b.Reply(c.From, rec.Name+" is banned from this server.")
	}
}

// gunban lifts a ban made with /gban: /gunban NAME.
func gunban(ctx context.Context, b *chat.Bot, c chat.Command) {
	if !operatorOnly(b, c) {
		return
	}
	name, _ := chat.CutArg(c.Args)
	if name == "" {
		b.Reply(c.From, "Please specify a username to unban.")
		return
	}
	shown, err := b.ServerUnban(ctx, name, c.From)
	switch {
	case errors.Is(err, chat.ErrNotBanned):
		if u, ok := b.Find(name); ok {
			name = u.Name // shown as they logged in
		}
		b.Reply(c.From, name+" is not banned from this server.")
	case err != nil:
		b.Log().Error("server unban", "user", chat.LogName(name), "err", err)
		b.Reply(c.From, "Could not unban "+name+", please try again.")
	default:
		b.Reply(c.From, shown+" is no longer banned from this server.")
	}
}

// gbans lists the bans from the server in force, in the order made.
func gbans(b *chat.Bot, c chat.Command) {
	if !operatorOnly(b, c) {
		return
	}
	bans := b.ServerBans()
	if len(bans) == 0 {
		b.Reply(c.From, "Nobody is banned from this server.")
		return
	}
	lines := make([]string, 0, len(bans)+1)
	lines = append(lines, "Banned from this server:")
	for i, g := range bans {
		lines = append(lines, strconv.Itoa(i+1)+". "+serverBanLine(g))
	}
	b.ReplyLines(c.From, lines...)
}

// serverBanLine shows a server ban as /gbans lists it, after its number:
// "NAME key SHA256:… from ADDRESS (for good)", key and address where
// known, "(until YYYY-MM-DD HH:MM)" in the server's zone for a timed one.
func serverBanLine(g chat.ServerBanRecord) string {
	line := g.Name
	if g.KeyID != "" {
		line += " key " + g.KeyID
	}
	if g.Addr != "" {
		line += " from " + g.Addr
	}
	if g.Until.IsZero() {
		return line + " (for good)"
	}
	return line + " (until " + g.Until.Local().Format("2006-01-02 15:04") + ")"
}
