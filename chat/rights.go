package chat

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Room rights: topics, admins made with /op, locked (invite-only) rooms and
// their invitations. The state lives in each room, guarded by Hub.mu;
// Hub.rightsMu serialises the changes, whose store writes run outside mu,
// so that the store and memory see them in the same order.

// MaxTopicLen is the most characters (code points) a topic may have.
const MaxTopicLen = 200

// MaxRoomRecords is how many bans, mutes, admins made with /op and
// invitations (each kind apart) one room may hold: each is kept in memory
// and in the store, and a ban keeps its room from expiring, so an admin
// must not be able to grow them without end. A name that holds one
// already may still have it changed.
const MaxRoomRecords = 1000

// RightsStore is the part of Store that keeps room rights. Every method
// returns once what it wrote is durable.
type RightsStore interface {
	// LoadRights returns the topics, locks, admins and invitations kept.
	LoadRights(ctx context.Context) (RightsSnapshot, error)
	// SetTopic records room's topic, "" for none. The room DefaultRoom,
	// which CreateRoom never records, may be given one too.
	SetTopic(ctx context.Context, room, topic string) error
	// SetLocked records whether room is invite-only; unlocking it forgets
	// its invitations.
	SetLocked(ctx context.Context, room string, locked bool) error
	// SaveAdmin records a name made admin of a room, replacing a record
	// of the same room and folded name.
	SaveAdmin(ctx context.Context, a AdminRecord) error
	// DeleteAdmin removes the admin record of name (compared with Fold)
	// from room.
	DeleteAdmin(ctx context.Context, room, name string) error
	// SaveInvite records an invitation, replacing one of the same room
	// and folded name (so it also records that it was told).
	SaveInvite(ctx context.Context, i InviteRecord) error
}

// RightsSnapshot is the room rights a hub starts from.
type RightsSnapshot struct {
	Rooms   []RoomRights // rooms with a topic or a lock
	Admins  []AdminRecord
	Invites []InviteRecord
}

// RoomRights is a room's topic and lock.
type RoomRights struct {
	Room   string
	Topic  string // "" for none
	Locked bool
}

// AdminRecord is a name made admin of a room with /op.
type AdminRecord struct {
	Room string
	Name string // as it was when made admin
	By   string // who made them admin
	Time time.Time
}

// InviteRecord is a name invited into a locked room.
type InviteRecord struct {
	Room string
	Name string // as it was when invited
	By   string // the admin who invited them
	Told bool   // they have been told (or nobody can be: the name was not protected)
	Time time.Time
}

// Topic is a change of a room's topic, as plugins see it.
type Topic struct {
	Room string // the room, as first created
	By   string // who changed it
	Text string // the new topic, "" when it was cleared
}

// InvitedText is the line (after the plugin's tag) that tells a user by
// invited them into room.
func InvitedText(by, room string) string { return by + " invited you to '" + room + "'." }

// InviteOnlyText is the line (after the plugin's tag) that refuses a user
// who may not enter the locked room.
func InviteOnlyText(room string) string { return "'" + room + "' is invite-only." }

// isAdmin reports whether the user whose folded name is key is an admin of
// r: its creator or a name made admin with /op. It is the one test of admin
// rights by name (operators are admins by their session: mayEnter, Bot.IsAdmin);
// the caller holds Hub.mu.
func (r *room) isAdmin(key string) bool {
	if r.creator != "" && r.creator == key {
		return true
	}
	_, ok := r.admins[key]
	return ok
}

// hasTopic reports whether r has a topic, which keeps it from expiring.
// The caller holds Hub.mu.
func (r *room) hasTopic() bool { return r.topic != "" }

// mayEnter reports whether s may enter r as far as its lock goes: r is
// open, or s is an admin of it, an operator or invited. Bans are checked
// before (keepsOut). The caller holds Hub.mu.
func (r *room) mayEnter(s *Session) bool { return r.mayEnterAs(s.key, s.operator) }

// mayEnterAs is mayEnter for the user whose folded name is key, an
// operator or not.
func (r *room) mayEnterAs(key string, operator bool) bool {
	if !r.locked || operator || r.isAdmin(key) {
		return true
	}
	_, ok := r.invites[key]
	return ok
}

// loadRights puts snap into the rooms of h; the caller owns h (New).
func (h *Hub) loadRights(snap RightsSnapshot) {
	for _, rr := range snap.Rooms {
		if r := h.rooms[Fold(rr.Room)]; r != nil {
			r.topic = rr.Topic
			r.locked = rr.Locked && Fold(r.name) != Fold(DefaultRoom)
		}
	}
	for _, a := range snap.Admins {
		if r := h.rooms[Fold(a.Room)]; r != nil {
			r.admins[Fold(a.Name)] = a
		}
	}
	for _, inv := range snap.Invites {
		if r := h.rooms[Fold(inv.Room)]; r != nil && r.locked {
			h.addInvite(r, &inv)
		}
	}
}

// addInvite records inv in r, and as one to tell at the invited name's
// next login if it was not told yet. The caller holds mu for writing.
func (h *Hub) addInvite(r *room, inv *InviteRecord) {
	key := Fold(inv.Name)
	r.invites[key] = inv
	if !inv.Told {
		h.untold[key] = append(h.untold[key], r)
	}
}

// forgetInvites forgets r's invitations, those not told yet included; the
// caller holds mu for writing.
func (h *Hub) forgetInvites(r *room) {
	for key, inv := range r.invites {
		h.dropUntold(key, r, inv)
	}
	clear(r.invites)
}

// dropUntold forgets that the invitation inv of the name whose folded form
// is key into r is still to be told; the caller holds mu for writing.
func (h *Hub) dropUntold(key string, r *room, inv *InviteRecord) {
	if inv.Told {
		return
	}
	if h.untold[key] = slices.DeleteFunc(h.untold[key], func(o *room) bool { return o == r }); len(h.untold[key]) == 0 {
		delete(h.untold, key)
	}
}

// tagOf returns the name of the plugin that handles the command cmd, whose
// lines the engine words for it (the refusal of a locked room, an
// invitation told at login); SystemName if none does.
func (h *Hub) tagOf(cmd string) string {
	if b := h.commands[cmd]; b != nil {
		return b.name
	}
	return SystemName
}

// pushEntry queues for s, entering r, the topic line, and at login the
// invitations it was not told yet; it returns those, now marked told, for
// the caller to record (recordTold) once it holds no lock. The caller
// holds mu for writing and runs w after unlocking.
func (h *Hub) pushEntry(s *Session, r *room, login bool, w *Wakes) []*InviteRecord {
	if r.topic != "" {
		s.out.PushHeld(h.systemEvent("Topic: "+r.topic), w)
	}
	if !login || len(h.untold[s.key]) == 0 {
		return nil
	}
	var told []*InviteRecord
	tag := h.tagOf("invite")
	for _, ir := range h.untold[s.key] {
		inv := ir.invites[s.key]
		if ir.gone || h.rooms[Fold(ir.name)] != ir || inv == nil || inv.Told {
			continue // expired, unlocked or told since
		}
		inv.Told = true
		told = append(told, inv)
		s.out.PushHeld(&Event{Kind: KindBot, From: tag, Text: InvitedText(inv.By, ir.name), Time: h.now()}, w)
	}
	delete(h.untold, s.key)
	return told
}

// recordTold records that the invitations told were told, those still
// standing: an /unlock since has forgotten them, in the store too.
func (h *Hub) recordTold(ctx context.Context, told []*InviteRecord) {
	if len(told) == 0 {
		return
	}
	h.rightsMu.Lock()
	defer h.rightsMu.Unlock()
	for _, p := range told {
		h.mu.RLock()
		r := h.rooms[Fold(p.Room)]
		standing := r != nil && !r.gone && r.invites[Fold(p.Name)] == p
		inv := *p
		h.mu.RUnlock()
		if !standing {
			continue
		}
		if err := h.rightsRecords().SaveInvite(ctx, inv); err != nil {
			h.log.Warn("record invitation told", "user", LogName(inv.Name), "room", LogName(inv.Room), "err", err)
		}
	}
}

// Topic returns the topic of room, "" if it has none or there is no such
// room. Safe from any goroutine.
func (h *Hub) Topic(room string) string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if r := h.rooms[Fold(room)]; r != nil {
		return r.topic
	}
	return ""
}

// liveRoom returns the room called name if it exists and is not being
// removed, else nil.
func (h *Hub) liveRoom(name string) *room {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if r := h.rooms[Fold(name)]; r != nil && !r.gone {
		return r
	}
	return nil
}

// Topic returns the topic of room, "" if it has none.
func (b *Bot) Topic(room string) string { return b.hub.Topic(room) }

// SetTopic sets the topic of the room called where to text ("" clears it)
// on behalf of the user by, and, once it is durable, tells the screens in the room and runs
// every plugin's TopicChanged hook. It returns ErrNotFound if there is no
// such room and ErrTopicTooLong past MaxTopicLen characters. Telling the
// room is the plugin's part.
func (b *Bot) SetTopic(ctx context.Context, where, by, text string) error {
	h := b.hub
	if RuneLen(text) > MaxTopicLen {
		return ErrTopicTooLong
	}
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		if r == nil {
			return nil, ErrNotFound
		}
		if err := h.rightsRecords().SetTopic(ctx, r.name, text); err != nil {
			return nil, fmt.Errorf("set topic of %s: %w: %w", r.name, ErrStore, err)
		}
		h.mu.Lock()
		r.topic = text
		h.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return err
	}
	b.audit(ctx, by, AuditRecord{Action: either(text == "", AuditClearTopic, AuditTopic), Room: r.name, Args: text})
	h.rosterRoom(r)
	t := Topic{Room: r.name, By: by, Text: text}
	h.hook(func(b *Bot) { b.plugin.TopicChanged(ctx, b, t) })
	return nil
}

// changeRights runs change, which writes a change of rights to the store
// and then to memory, one change at a time.
func (h *Hub) changeRights(change func() (*room, error)) (*room, error) {
	h.rightsMu.Lock()
	defer h.rightsMu.Unlock()
	return change()
}

// shownName returns the name called name as replies show it: as its user
// logged in if they are online, else sanitised and normalised; with its
// folded key, or ErrNameInvalid if nobody could log in with it.
func (h *Hub) shownName(name string) (shown, key string, err error) {
	typed := name
	name, key, sks, err := loginName(name)
	if err != nil || h.isReserved(key, sks) {
		return "", "", fmt.Errorf("name %q: %w", typed, ErrNameInvalid)
	}
	if s := h.find(name); s != nil {
		name = s.name
	}
	return name, key, nil
}

// Op makes the user called name (online or not) an admin of the room
// called where, by name, on behalf of by, and returns the name as shown
// (as they logged in if online, else as given; as made admin for one who
// is an admin already). A name that is an admin
// already returns ErrIsAdmin; one nobody could log in with, ErrNameInvalid;
// a room that does not exist, ErrNotFound; one with MaxRoomRecords admins
// made with /op, ErrRoomRecordsFull.
func (b *Bot) Op(ctx context.Context, where, name, by string) (string, error) {
	h := b.hub
	shown, key, err := h.shownName(name)
	if err != nil {
		return "", err
	}
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		if r == nil {
			return nil, ErrNotFound
		}
		h.mu.RLock()
		admin, full := r.isAdmin(key), len(r.admins) >= MaxRoomRecords
		if rec, ok := r.admins[key]; ok && h.users[key] == nil {
			shown = rec.Name // offline: as made admin
		}
		h.mu.RUnlock()
		switch {
		case admin:
			return nil, ErrIsAdmin
		case full:
			return nil, ErrRoomRecordsFull
		}
		rec := AdminRecord{Room: r.name, Name: shown, By: by, Time: h.now()}
		if err := h.rightsRecords().SaveAdmin(ctx, rec); err != nil {
			return nil, fmt.Errorf("op %s in %s: %w: %w", shown, r.name, ErrStore, err)
		}
		h.mu.Lock()
		r.admins[key] = rec
		r.roster.Store(nil)
		h.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return shown, err
	}
	b.audit(ctx, by, AuditRecord{Action: AuditOp, Target: shown, Room: r.name})
	h.rosterRoom(r)
	return shown, nil
}

// Deop takes the admin rights /op gave the user called name in the room
// called where, and returns the name as shown (as it was made admin, if they are offline).
// The room's creator returns ErrIsCreator, a name that is no admin
// ErrNotAdmin, a room that does not exist ErrNotFound.
func (b *Bot) Deop(ctx context.Context, where, name string) (string, error) {
	h := b.hub
	shown, key, err := h.shownName(name)
	if err != nil {
		return name, ErrNotAdmin
	}
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		if r == nil {
			return nil, ErrNotFound
		}
		h.mu.RLock()
		rec, ok := r.admins[key]
		creator := r.creator == key
		h.mu.RUnlock()
		switch {
		case creator:
			return nil, ErrIsCreator
		case !ok:
			return nil, ErrNotAdmin
		}
		if h.find(shown) == nil {
			shown = rec.Name
		}
		if err := h.rightsRecords().DeleteAdmin(ctx, r.name, rec.Name); err != nil {
			return nil, fmt.Errorf("deop %s in %s: %w: %w", shown, r.name, ErrStore, err)
		}
		h.mu.Lock()
		delete(r.admins, key)
		r.roster.Store(nil)
		h.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return shown, err
	}
	b.audit(ctx, "", AuditRecord{Action: AuditDeop, Target: shown, Room: r.name})
	h.rosterRoom(r)
	return shown, nil
}

// IsCreator reports whether the user called name created room.
func (b *Bot) IsCreator(room, name string) bool {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := h.rooms[Fold(room)]
	return r != nil && r.creator != "" && r.creator == Fold(name)
}

// Lock makes the room called where invite-only (locked) or open again;
// opening it forgets its invitations. Those in it stay. DefaultRoom is open to everyone:
// ErrOpenRoom; a room that does not exist: ErrNotFound. Every screen is
// told, as the room list shows which rooms are invite-only.
func (b *Bot) Lock(ctx context.Context, where string, locked bool) error {
	h := b.hub
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		switch {
		case r == nil:
			return nil, ErrNotFound
		case Fold(r.name) == Fold(DefaultRoom):
			return nil, ErrOpenRoom
		}
		if err := h.rightsRecords().SetLocked(ctx, r.name, locked); err != nil {
			return nil, fmt.Errorf("lock %s (%v): %w: %w", r.name, locked, ErrStore, err)
		}
		h.mu.Lock()
		r.locked = locked
		if !locked {
			h.forgetInvites(r)
		}
		h.roomList.Store(nil)
		h.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return err
	}
	b.audit(ctx, "", AuditRecord{Action: either(locked, AuditLock, AuditUnlock), Room: r.name})
	h.rosterAll()
	return nil
}

// Invite lets the user called name (online or not) into the locked room
// called where, until it is unlocked, on behalf of the admin by. It returns the name as
// shown and whether they are online now, for the plugin to tell them; if
// they are not and the name is protected (Hub.Protected), they are
// told at their next login (InvitedText). A room that is open returns
// ErrNotLocked; one with MaxRoomRecords invitations, ErrRoomRecordsFull;
// a name nobody could log in with, ErrNameInvalid; a room
// that does not exist, ErrNotFound. Inviting a name again changes nothing
// but tells them again.
func (b *Bot) Invite(ctx context.Context, where, name, by string) (shown string, online bool, err error) {
	h := b.hub
	shown, key, err := h.shownName(name)
	if err != nil {
		return "", false, err
	}
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		if r == nil {
			return nil, ErrNotFound
		}
		h.mu.RLock()
		locked, old, full := r.locked, r.invites[key], len(r.invites) >= MaxRoomRecords
		_, protected := h.protectedName(key, h.now())
		online = h.users[key] != nil && h.users[key].room != nil
		h.mu.RUnlock()
		switch {
		case !locked:
			return nil, ErrNotLocked
		case old != nil:
			return nil, nil // nothing changes: told again, not recorded
		case full:
			return nil, ErrRoomRecordsFull
		}
		inv := &InviteRecord{Room: r.name, Name: shown, By: by, Told: online || !protected, Time: h.now()}
		saved := inv.Told
		if err := h.rightsRecords().SaveInvite(ctx, *inv); err != nil {
			return nil, fmt.Errorf("invite %s to %s: %w: %w", shown, r.name, ErrStore, err)
		}
		h.mu.Lock()
		if !inv.Told && h.users[key] != nil && h.users[key].room != nil {
			inv.Told, online = true, true // logged in meanwhile: told now
		}
		h.addInvite(r, inv)
		now := *inv // a login may mark it told (pushEntry) once mu is released
		h.mu.Unlock()
		if now.Told && !saved {
			if err := h.rightsRecords().SaveInvite(ctx, now); err != nil {
				h.log.Warn("record invitation told", "user", LogName(now.Name), "room", LogName(now.Room), "err", err)
			}
		}
		return r, nil
	})
	if err != nil {
		return shown, false, err
	}
	if r != nil {
		b.audit(ctx, by, AuditRecord{Action: AuditInvite, Target: shown, Room: r.name})
	}
	return shown, online, nil
}
