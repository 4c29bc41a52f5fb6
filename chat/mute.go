package chat

import (
	"context"
	"fmt"
	"time"
)

// silences returns the mute that keeps s from speaking in r at now, if
// any: a mute of its name or of a look-alike of it. An admin or an
// operator is never silenced, whatever old data says. For Members and
// the away path of Session.say (mutedIn is the other's); the caller holds
// Hub.mu.
func (r *room) silences(s *Session, now time.Time) (MuteRecord, bool) {
	if s.operator || r.isAdmin(s.key) {
		return MuteRecord{}, false
	}
	m, _, ok := r.mutes.find(s.sks, s.key, now)
	return m, ok
}

// mutedIn returns the mute that keeps s from speaking in r now, if any,
// for Session.say, which calls it only when r has mutes and s.heard is not
// r.muteGen. A user found not muted by name (or look-alike) is remembered
// (Session.heard) until r's mutes change, so their next messages cost a
// comparison; an admin with a mute on their name from older data is not
// remembered, since they may lose their rights. The caller holds Hub.mu.
func (h *Hub) mutedIn(s *Session, r *room) (MuteRecord, bool) {
	m, _, found := r.mutes.find(s.sks, s.key, h.now())
	switch {
	case !found:
		s.heard.Store(r.muteGen) // a mute that ends never comes back
		return MuteRecord{}, false
	case s.operator || r.isAdmin(s.key):
		return MuteRecord{}, false
	}
	return m, true
}

// mutesChanged marks a change of r's mutes, so that no Session.heard
// taken before it holds. The caller holds mu for writing, or owns the hub.
func (h *Hub) mutesChanged(r *room) {
	h.muteGen++
	r.muteGen = h.muteGen
	r.roster.Store(nil) // Members shows who is muted
}

// mutedLine is what a muted user gets for a message or action that was
// not delivered.
func mutedLine(m MuteRecord, room string, now time.Time) *Event {
	return &Event{Kind: KindBot, From: m.By, Text: "You're muted in '" + room + "'.", Time: now}
}

// muted returns the mute that keeps s from speaking in its room now, if
// any. It takes Hub.mu: for the path of a user who is away, not every
// message's.
func (s *Session) muted() (MuteRecord, string, bool) {
	h := s.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := s.room
	if r == nil || len(r.mutes.recs) == 0 {
		return MuteRecord{}, "", false
	}
	m, ok := r.silences(s, h.now())
	return m, r.name, ok
}

// target is the user a ban or mute is aimed at.
type target struct {
	r    *room
	name string // as logged in if online, else as given, normalised
	key  string
	s    *Session // online, or nil
}

// target finds the room and the user called name for a ban or a mute (the
// user online whose name looks like it, if nobody online is called so): a
// name nobody could log in with returns ErrNameInvalid, a room that does
// not exist (or is being removed) ErrNotFound, one of the room's admins
// or an operator ErrIsAdmin. what names the action for errors. The caller
// holds rightsMu, so that what it finds stands until the change is made.
func (h *Hub) target(room, name, what string) (target, error) {
	typed := name
	name, key, sks, err := loginName(name)
	if err != nil || h.isReserved(key, sks) {
		return target{}, fmt.Errorf("%s %q in %s: %w", what, typed, room, ErrNameInvalid)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := target{r: h.rooms[Fold(room)], name: name, key: key, s: h.users[key]}
	if t.s == nil {
		// A name that looks like one online (b0b for bob) is aimed at its
		// user, whom its ban or mute holds already: they are moved out or
		// told, and the record is theirs, as if they had been named.
		if k, like := h.online.find(sks, key); like {
			t.s = h.users[k]
		}
	}
	if t.s != nil {
		t.name, t.key = t.s.name, t.s.key
	}
	switch {
	case t.r == nil || t.r.gone:
		return target{}, ErrNotFound
	case t.r.isAdmin(key) || t.r.isAdmin(t.key) || (t.s != nil && t.s.operator):
		return target{}, ErrIsAdmin
	}
	return t, nil
}

// until returns when something done at now for d ends: zero for d <= 0,
// for good.
func until(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}

// Mute mutes the user called name in the room called where, online or not, for d (for good
// if d <= 0): from then on their messages and actions there are not
// delivered, and they are told "You're muted in 'ROOM'.", tagged with this
// plugin's name; whispers still reach. Telling them they have been muted
// is the plugin's part. A name muted already has its mute replaced, unless
// both are for good: then nothing is written. The mute is durable when
// Mute returns nil; it returns the mute as it stands, with the name as
// its user logged in if online. Errors as for BanFor: ErrIsAdmin,
// ErrNameInvalid, ErrNotFound, ErrRoomRecordsFull, ErrStore.
func (b *Bot) Mute(ctx context.Context, where, name string, d time.Duration) (MuteRecord, error) {
	h := b.hub
	var rec MuteRecord
	r, err := h.changeRights(func() (*room, error) {
		t, err := h.target(where, name, "mute")
		if err != nil {
			return nil, err
		}
		now := h.now()
		rec = MuteRecord{Room: t.r.name, Name: t.name, By: b.name, Time: now, Until: until(now, d)}
		h.mu.RLock()
		old, muted := t.r.mutes.get(t.key, now)
		full := t.r.mutes.full(t.key)
		h.mu.RUnlock()
		if full {
			return nil, ErrRoomRecordsFull
		}
		if muted {
			if old.Until.IsZero() && rec.Until.IsZero() {
				rec = old
				return nil, nil
			}
			rec.Name, rec.Time = old.Name, old.Time
		}
		if err := h.timedRecords().SaveMute(ctx, rec); err != nil {
			return nil, fmt.Errorf("mute %s in %s: %w: %w", rec.Name, rec.Room, ErrStore, err)
		}
		if h.cluster == nil { // else put in by timedRecords
			h.mu.Lock()
			t.r.mutes.put(t.key, rec)
			h.mutesChanged(t.r)
			h.arm(t.r, rec.Until)
			h.mu.Unlock()
		}
		return t.r, nil
	})
	if err != nil {
		return MuteRecord{}, err
	}
	if r != nil { // written
		b.audit(ctx, "", AuditRecord{Action: AuditMute, Target: rec.Name, Room: rec.Room, Args: spanText(d)})
		h.rosterRoom(r)
	}
	return rec, nil
}

// Unmute lifts the mute of the user called name (or of a look-alike the
// mute was made for) in the room called where and returns their name as it was when muted,
// or ErrNotMuted.
func (b *Bot) Unmute(ctx context.Context, where, name string) (string, error) {
	h := b.hub
	rec, r, err := liftNamed(h, where, name, func(r *room) *named[MuteRecord] { return &r.mutes }, ErrNotMuted,
		func(r *room, rec MuteRecord) error {
			if err := h.timedRecords().DeleteMute(ctx, r.name, rec.Name); err != nil {
				return fmt.Errorf("unmute %s in %s: %w: %w", name, r.name, ErrStore, err)
			}
			return nil
		}, h.mutesChanged)
	if err != nil {
		return "", err
	}
	b.audit(ctx, "", AuditRecord{Action: AuditUnmute, Target: rec.Name, Room: r.name})
	h.rosterRoom(r)
	return rec.Name, nil
}

// loadTimed puts the stored bans and mutes in their rooms, and removes
// from the store those that ended while the server was down. Mutes are
// tagged with the plugin whose command /mute is (the store keeps no tag).
// It runs from New, which owns the hub.
func (h *Hub) loadTimed(ctx context.Context, snap Snapshot) {
	now := h.now()
	tag := SystemName
	if b := h.commands["mute"]; b != nil {
		tag = b.name
	}
	var endedBans []BanRecord
	var endedMutes []MuteRecord
	for _, b := range snap.Bans {
		r := h.rooms[Fold(b.Room)]
		switch {
		case r == nil:
		case !live(b, now):
			endedBans = append(endedBans, b)
		default:
			r.addBan(b)
			h.arm(r, b.Until)
		}
	}
	for _, m := range snap.Mutes {
		r := h.rooms[Fold(m.Room)]
		switch {
		case r == nil:
		case !live(m, now):
			endedMutes = append(endedMutes, m)
		default:
			m.By = tag
			r.mutes.put(Fold(m.Name), m)
			h.mutesChanged(r)
			h.arm(r, m.Until)
		}
	}
	for _, b := range endedBans {
		if err := h.store.DeleteBan(ctx, b.Room, b.Name); err != nil {
			h.log.Warn("remove ended ban", "user", LogName(b.Name), "room", LogName(b.Room), "err", err)
		}
	}
	for _, m := range endedMutes {
		if err := h.store.DeleteMute(ctx, m.Room, m.Name); err != nil {
			h.log.Warn("remove ended mute", "user", LogName(m.Name), "room", LogName(m.Room), "err", err)
		}
	}
}

// arm makes r's timer fire (endTimed) by until, when a timed ban or mute
// ends; a zero until needs none. A timer whose time has passed counts for
// none: it fired, and its endTimed may have found the room being removed
// by a sweep that then failed, and done nothing. The caller holds mu for
// writing, or owns the hub.
func (h *Hub) arm(r *room, until time.Time) {
	pending := r.timer != nil && r.timerAt.After(h.now())
	if until.IsZero() || h.closing || (pending && !until.Before(r.timerAt)) {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timerAt = until
	r.timer = time.AfterFunc(until.Sub(h.now()), func() { h.endTimed(r) })
}

// endTimed forgets r's bans and mutes that have ended, arms the timer for
// the next to end, and tells the screens in r if a mute ended (Members
// shows it). It runs on the timer's goroutine and only takes the locks
// for that: nothing blocks, nothing is written to the store (New removes
// ended records at the next start). Every check also compares with the
// clock, so nothing outlives its time while the timer is on its way.
func (h *Hub) endTimed(r *room) {
	h.mu.Lock()
	if h.closing || r.gone {
		h.mu.Unlock()
		return
	}
	now := h.now()
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timer, r.timerAt = nil, time.Time{}
	_, nextBan := r.bans.lapse(now)
	unmuted, nextMute := r.mutes.lapse(now)
	if unmuted > 0 {
		h.mutesChanged(r)
	}
	h.arm(r, nextBan)
	h.arm(r, nextMute)
	h.mu.Unlock()
	if unmuted > 0 {
		h.rosterRoom(r)
	}
}

// stopTimers stops every room's timer; the caller holds mu for writing
// and has set closing, so none is armed again.
func (h *Hub) stopTimers() {
	for _, r := range h.order {
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
	}
}
