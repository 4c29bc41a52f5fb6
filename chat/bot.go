package chat

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Bot is a plugin's handle on the hub: what a plugin may do. Every method is
// safe from any goroutine and never waits for a client.
type Bot struct {
	hub    *Hub
	name   string
	plugin Plugin
}

// Name returns the plugin's name, the tag of its lines.
func (b *Bot) Name() string { return b.name }

// Log returns the hub's logger, with the plugin's name attached.
func (b *Bot) Log() *slog.Logger { return b.hub.log.With("plugin", b.name) }

// Reply sends "<plugin> text" to the user called name, wherever they are.
// It does nothing if they are offline.
func (b *Bot) Reply(name, text string) { b.push(name, b.event(text)) }

// push queues ev for the user called name, if they are online.
func (b *Bot) push(name string, ev *Event) {
	if s := b.hub.find(name); s != nil {
		s.out.Push(ev)
	} else if b.hub.cluster != nil { // on another node, maybe
		_, _ = b.hub.remote(RemoteRequest{Verb: VerbTell, Target: name, Bot: b.name, Text: ev.Text})
	}
}

// Notify sends the user called name a line from the server itself,
// "<system> text", wherever they are: for the protocol's own lines that a
// plugin's command can end in, such as TextTooLong. It does nothing if they
// are offline.
func (b *Bot) Notify(name, text string) {
	if s := b.hub.find(name); s != nil {
		s.Notify(text)
	} else if b.hub.cluster != nil { // on another node, maybe
		_, _ = b.hub.remote(RemoteRequest{Verb: VerbTell, Target: name, Text: text})
	}
}

// ReplyLines sends lines to the user called name as one block, each line
// as "<plugin> line": one entry of their outbox, so a long listing is never
// cut by the slow-reader policy, and one message on a screen. It does
// nothing if they are offline.
func (b *Bot) ReplyLines(name string, lines ...string) {
	b.Reply(name, joinLines(lines))
}

// joinLines makes lines one text, as a block of KindBot lines carries them.
func joinLines(lines []string) string { return strings.Join(lines, "\n") }

// Broadcast sends "<plugin> text" to everyone in room, in the room's
// order: every member sees it between the same two messages.
func (b *Bot) Broadcast(room, text string) { b.broadcast(room, b.event(text)) }

// broadcast sends ev, a line of the plugin's, to everyone in room, with
// the room's name set on it.
func (b *Bot) broadcast(room string, ev *Event) {
	h := b.hub
	h.mu.RLock()
	r := h.rooms[Fold(room)]
	if r == nil {
		h.mu.RUnlock()
		return
	}
	if h.lines != nil { // every node fans it out from the cluster's order (Deliver)
		h.mu.RUnlock()
		h.broadcastShared(r, ev)
		return
	}
	r.mu.Lock()
	ev.Room = r.name
	r.fanOut(ev, nil)
	r.mu.Unlock()
	h.mu.RUnlock()
	r.wakes.Run()
}

// Whisper sends text from the user from to the user to, wherever they are,
// as "<plugin> FROM whispered to you: TEXT". It returns ErrNotFound if to is
// offline. If to ignores from (/ignore), nothing is sent, and the whisper
// counts as delivered: from is not told.
func (b *Bot) Whisper(from, to, text string) error {
	s := b.hub.find(to)
	if s == nil && b.hub.cluster != nil { // on another node, maybe
		_, err := b.hub.remote(RemoteRequest{Verb: VerbWhisper, Target: to, From: from, Bot: b.name, Text: text})
		return err
	}
	if s == nil {
		return ErrNotFound
	}
	if s.ignores(Fold(from)) {
		return nil
	}
	s.out.Push(&Event{Kind: KindWhisper, From: from, Bot: b.name, Text: text, Time: b.hub.now()})
	return nil
}

// WhisperSent tells the user from that their whisper of text reached the
// user to (a KindWhisperSent event, which has no line). It does nothing if
// from is offline or on a line door, which shows nothing for it.
func (b *Bot) WhisperSent(from, to, text string) {
	if s := b.hub.find(from); s != nil && s.roster {
		s.out.Push(&Event{Kind: KindWhisperSent, From: s.name, To: to, Bot: b.name, Text: text, Time: b.hub.now()})
	}
}

// Find returns the online user called name (compared case-insensitively)
// with their name as they logged in and their room, on whichever node
// they are.
func (b *Bot) Find(name string) (User, bool) {
	h := b.hub
	h.mu.RLock()
	var u User
	if s := h.users[Fold(name)]; s != nil && s.room != nil {
		u = User{Name: s.name, Room: s.room.name}
	}
	h.mu.RUnlock()
	if u.Name != "" || h.cluster == nil {
		return u, u.Name != ""
	}
	w, ok := h.remoteWhois(name, false)
	return User{Name: w.Name, Room: w.Room}, ok
}

// Away reports whether the online user called name marked themselves away
// (/away), and the reason they gave ("" for none); false if they are offline.
func (b *Bot) Away(name string) (reason string, away bool) {
	if s := b.hub.find(name); s != nil {
		return s.Away()
	}
	if b.hub.cluster != nil {
		w, _ := b.hub.remoteWhois(name, false)
		return w.AwayReason, w.Away
	}
	return "", false
}

// Members returns the users of room in the order they entered, admins
// and away users marked. The slice is the plugin's own to keep or change.
func (b *Bot) Members(room string) []Member { return slices.Clone(b.hub.Members(room)) }

// Rooms returns every room in creation order, DefaultRoom first. The slice
// is the plugin's own to keep or change.
func (b *Bot) Rooms() []RoomInfo { return slices.Clone(b.hub.Rooms()) }

// IsAdmin reports whether the user called name is an admin of room, or
// online as a server operator (an admin of every room).
func (b *Bot) IsAdmin(room, name string) bool {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	if s := h.users[Fold(name)]; s != nil && s.operator {
		return h.rooms[Fold(room)] != nil
	}
	r := h.rooms[Fold(room)]
	return r != nil && r.isAdmin(Fold(name))
}

// IsOperator reports whether the user called name is online as a server
// operator: logged in with a key of the operators file.
func (b *Bot) IsOperator(name string) bool {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.users[Fold(name)]
	return s != nil && s.room != nil && s.operator
}

// Move moves the user called name from room from to room to, with the
// leave and join hooks as for /switch. It returns ErrNotFound if they are
// not online in from, ErrBanned if they are banned from to. The moved
// user, with their name as they logged in, is returned. A user online on
// another node is moved by their node.
func (b *Bot) Move(name, from, to string) (User, error) {
	h := b.hub
	s := h.find(name)
	if s == nil && h.cluster != nil {
		rep, err := h.remote(RemoteRequest{Verb: VerbMove, Target: name, Bot: b.name, Room: from, To: to})
		return User{Name: rep.Name, Room: rep.Room}, err
	}
	if s == nil {
		return User{}, ErrNotFound
	}
	return h.moveUser(s, from, to, b.name)
}

// moveUser is Move of the session s, by the plugin called by.
func (h *Hub) moveUser(s *Session, from, to, by string) (User, error) {
	h.mu.RLock()
	src, dst := h.rooms[Fold(from)], h.rooms[Fold(to)]
	h.mu.RUnlock()
	if src == nil || dst == nil {
		return User{}, ErrNotFound
	}
	if _, err := h.move(s, src, dst, nil); err != nil {
		return User{}, err
	}
	h.log.Info("moved", "user", LogName(s.name), "from", LogName(src.name), "to", LogName(dst.name), "plugin", by)
	return User{Name: s.name, Room: dst.name}, nil
}

// Ban bans the user called name from room for good: BanFor with no
// duration, returning the name as banned.
func (b *Bot) Ban(ctx context.Context, room, name string) (string, error) {
	rec, err := b.BanFor(ctx, room, name, 0)
	return rec.Name, err
}

// BanFor bans the user called name from the room called where, online or not, for d (for
// good if d <= 0): a name nobody has logged in with yet is kept out all
// the same, as are its look-alikes, so a troll can be banned before
// arriving; if they are online with an SSH key, that key is kept out too,
// whatever name it later logs in with. The refusal line they get when
// they try to come in is tagged with this plugin's name. The ban returned
// has the name as banned: as its user logged in if they are online, else
// as given, sanitised and normalised as Login takes it. A name banned
// already keeps its name as banned and its place in Bans, and gets the new
// duration; if both bans are for good (and no new key is learnt), the ban
// stands as it was and nothing is written. The ban is durable when BanFor
// returns nil, and from then on no move (a /switch on its way included)
// takes them into room; moving them out if they are in it is the plugin's
// part (Move). An admin of the room, or an operator, cannot be banned from
// it: that returns ErrIsAdmin. A name nobody could log in with (too long,
// ill-formed or reserved) returns ErrNameInvalid; a room that does not
// exist, ErrNotFound; a new name in a room with MaxRoomRecords bans,
// ErrRoomRecordsFull. Nobody can be banned from DefaultRoom, where logins,
// kicks and bans land: ErrOpenRoom. Bans, unbans, mutes and unmutes are made one at a
// time with the changes of room rights (Hub.rightsMu), so that two admins
// at once leave the store and memory agreeing.
func (b *Bot) BanFor(ctx context.Context, where, name string, d time.Duration) (BanRecord, error) {
	h := b.hub
	var rec BanRecord
	written := false
	_, err := h.changeRights(func() (*room, error) {
		t, err := h.target(where, name, "ban")
		if err != nil {
			return nil, err
		}
		if Fold(t.r.name) == Fold(DefaultRoom) {
			return nil, ErrOpenRoom // where everyone lands: a ban there would keep its troll in every room
		}
		now := h.now()
		rec = BanRecord{Room: t.r.name, Name: t.name, By: b.name, Time: now, Until: until(now, d)}
		h.mu.RLock()
		if t.s != nil {
			rec.KeyID = t.s.keyID
		}
		old, banned := t.r.bans.get(t.key, now)
		full := t.r.bans.full(t.key)
		h.mu.RUnlock()
		if full {
			return nil, ErrRoomRecordsFull
		}
		if banned {
			if old.Until.IsZero() && rec.Until.IsZero() && (rec.KeyID == "" || rec.KeyID == old.KeyID) {
				rec = old
				return t.r, nil
			}
			rec.Name, rec.Time = old.Name, old.Time
			if rec.KeyID == "" {
				rec.KeyID = old.KeyID
			}
		}
		if err := h.timedRecords().SaveBan(ctx, rec); err != nil {
			return nil, fmt.Errorf("ban %s from %s: %w: %w", rec.Name, rec.Room, ErrStore, err)
		}
		if h.cluster == nil { // else put in by timedRecords
			h.mu.Lock()
			t.r.addBan(rec)
			h.arm(t.r, rec.Until)
			h.mu.Unlock()
		}
		written = true
		return t.r, nil
	})
	if err != nil {
		return BanRecord{}, err
	}
	if written {
		b.audit(ctx, "", AuditRecord{Action: AuditBan, Target: rec.Name, Room: rec.Room, Args: spanText(d)})
	}
	return rec, nil
}

// Unban lifts the ban of the user called name (or of a look-alike the ban
// was made for) from the room called where and returns their name as it was when banned,
// or ErrNotBanned.
func (b *Bot) Unban(ctx context.Context, where, name string) (string, error) {
	h := b.hub
	rec, r, err := liftNamed(h, where, name, func(r *room) *named[BanRecord] { return &r.bans }, ErrNotBanned,
		func(r *room, rec BanRecord) error {
			if err := h.timedRecords().DeleteBan(ctx, r.name, rec.Name); err != nil {
				return fmt.Errorf("unban %s from %s: %w: %w", name, r.name, ErrStore, err)
			}
			return nil
		}, nil)
	if err != nil {
		return "", err
	}
	b.audit(ctx, "", AuditRecord{Action: AuditUnban, Target: rec.Name, Room: r.name})
	return rec.Name, nil
}

// Bans returns the bans of room in force, in the order they were made;
// nil if there is no such room. The slice is the plugin's own.
func (b *Bot) Bans(room string) []BanRecord {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := h.rooms[Fold(room)]
	if r == nil {
		return nil
	}
	now := h.now()
	var out []BanRecord
	for _, ban := range r.bans.recs {
		if live(ban, now) {
			out = append(out, ban)
		}
	}
	slices.SortFunc(out, func(a, b BanRecord) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(Fold(a.Name), Fold(b.Name)))
	})
	return out
}

func (b *Bot) event(text string) *Event {
	return &Event{Kind: KindBot, From: b.name, Text: text, Time: b.hub.now()}
}

// find returns the online session called name, or nil. A session still
// logging in (its name held while its SSH key is bound) is not online yet:
// nothing reaches it before "Logging in as".
func (h *Hub) find(name string) *Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if s := h.users[Fold(name)]; s != nil && s.room != nil {
		return s
	}
	return nil
}
