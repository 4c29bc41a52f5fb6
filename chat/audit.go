package chat

import (
	"context"
	"strings"
	"time"
)

// The audit log: every moderation act that took effect (a kick, a ban, a
// topic set, a password set…) is recorded in the store with who did it
// and logged at Info. An act is recorded on the goroutine of the user who
// made it, once the store has confirmed the act and every engine lock is
// released: moderation is rare, the write is small, and a synchronous
// write means the record is durable before the admin is told, and cannot
// be dropped as a queued one would be when the queue is full. Nothing on
// the fan-out path waits for it.

// AuditRecord is one moderation act, as the audit log keeps it.
type AuditRecord struct {
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`      // the name the actor logged in with; the plugin's name for an act of its own
	ActorKey  string    `json:"actor_key"`  // the actor's SSH key fingerprint, "" for none
	ActorAddr string    `json:"actor_addr"` // the actor's source address (host:port), "" if unknown
	Action    string    `json:"action"`     // one of the Audit… constants
	Target    string    `json:"target"`     // the user acted on, "" for none
	Room      string    `json:"room"`       // the room acted in, "" for a server-wide act
	Args      string    `json:"args"`       // what else the act said: "for 1h", a topic; never a password
}

// The actions of AuditRecord.
const (
	AuditKick        = "kick"
	AuditBan         = "ban"
	AuditUnban       = "unban"
	AuditMute        = "mute"
	AuditUnmute      = "unmute"
	AuditOp          = "op"
	AuditDeop        = "deop"
	AuditTopic       = "topic"       // Args: the new topic
	AuditClearTopic  = "clear-topic" // the topic removed
	AuditLock        = "lock"
	AuditUnlock      = "unlock"
	AuditInvite      = "invite"
	AuditServerBan   = "gban"
	AuditServerUnban = "gunban"
	AuditPassword    = "password" // Args: "set" or "changed", never the password
	// AuditReleaseName is chatserver names release freeing a protected
	// name (the Target) in the database of a stopped server: Actor is the
	// operating system's user who ran it, ActorAddr is AuditLocal.
	AuditReleaseName = "release-name"
)

// AuditLocal is the ActorAddr of an act made on the server's machine by a
// command rather than over a door.
const AuditLocal = "local"

// AuditStore is the part of Store that keeps the audit log.
type AuditStore interface {
	// SaveAudit appends r to the audit log; it returns once it is durable.
	SaveAudit(ctx context.Context, r AuditRecord) error
}

// actorKey is the context key of the session whose command a plugin runs.
type actorKey struct{}

// withActor returns ctx carrying s as the user whose command runs under it:
// what a plugin does with it on their behalf is recorded as theirs. A
// plugin cannot set it, so cannot speak for someone else.
func withActor(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, actorKey{}, s)
}

// audit records rec, an act of the plugin b made under ctx: the actor is
// the user whose command ctx carries (withActor), else the online user
// called by ("" for none), else the plugin itself.
func (b *Bot) audit(ctx context.Context, by string, rec AuditRecord, attrs ...any) {
	s, _ := ctx.Value(actorKey{}).(*Session)
	if s == nil && by != "" {
		s = b.hub.find(by)
	}
	switch {
	case s != nil:
		rec.Actor = s.name
	case by != "":
		rec.Actor = by
	default:
		rec.Actor = b.name
	}
	b.hub.audit(ctx, s, rec, append(attrs, "plugin", b.name)...)
}

// audit records rec, made by the user of s (nil if offline or none), and
// logs it at Info with attrs. It holds no lock; a failure to record is
// logged, since the act has taken effect already. The write outlives ctx:
// an actor who hangs up right after their act is still recorded.
func (h *Hub) audit(ctx context.Context, s *Session, rec AuditRecord, attrs ...any) {
	if s != nil {
		rec.Actor, rec.ActorKey, rec.ActorAddr = s.name, s.keyID, s.addr
	}
	rec.Time = h.now()
	h.log.Info("audit", append([]any{"action", rec.Action, "actor", LogName(rec.Actor), "actor_key", rec.ActorKey,
		"actor_addr", rec.ActorAddr, "target", LogName(rec.Target), "room", LogName(rec.Room), "args", rec.Args}, attrs...)...)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := h.store.SaveAudit(wctx, rec); err != nil {
		h.log.Error("record audit", "action", rec.Action, "actor", LogName(rec.Actor), "target", LogName(rec.Target), "err", err)
	}
}

// either returns yes if cond holds, else no: the action or argument of an
// audit record made by a call that does one of two acts.
func either(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// auditTimeout bounds the write of one audit record, which outlives the
// actor's context.
const auditTimeout = 30 * time.Second

// spanText is how an audit record says how long a ban or mute lasts:
// "for good" for d <= 0, else "for 1h", "for 90m", "for 1h30m".
func spanText(d time.Duration) string {
	if d <= 0 {
		return "for good"
	}
	s := d.String() // 1h0m0s, 1h30m0s, 5m0s, 30s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return "for " + s
}

// Kick moves the user called name from the room called where to
// DefaultRoom, as Move does, and records it as a kick made under ctx.
// Nobody is kicked from DefaultRoom, where kicks land: ErrOpenRoom.
func (b *Bot) Kick(ctx context.Context, name, where string) (User, error) {
	if Fold(where) == Fold(DefaultRoom) {
		return User{}, ErrOpenRoom
	}
	u, err := b.Move(name, where, DefaultRoom)
	if err == nil {
		b.audit(ctx, "", AuditRecord{Action: AuditKick, Target: u.Name, Room: where})
	}
	return u, err
}
