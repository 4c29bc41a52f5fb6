package chat

import (
	"context"
	"slices"
)

// Room rights, bans and mutes shared by the nodes of a cluster (slice 5a
// of cluster/DESIGN.md). With Config.Cluster set, the cluster is their
// record, not the node's store: the paths of rights.go, mute.go and bot.go
// write to it through the same calls as to the store (rightsRecords,
// timedRecords), and every node, this one too, learns each change from
// the cluster's watcher (RemoteRights, RemoteBan, ...), idempotently.

// SharedRights is a room's rights as the nodes of a cluster share them:
// one record per room, changed as a whole (Cluster.UpdateRights).
type SharedRights struct {
	Room    string // the room's name, as first created
	Topic   string // "" for none
	Locked  bool
	Admins  []AdminRecord  // names made admin with /op
	Invites []InviteRecord // names invited while locked
	Rev     uint64         // the record's revision: a later one replaces it, an earlier one never does
}

// timedWriter is where bans and mutes are recorded: the store for a
// single node, the cluster for several.
type timedWriter interface {
	SaveBan(ctx context.Context, b BanRecord) error
	DeleteBan(ctx context.Context, room, name string) error
	SaveMute(ctx context.Context, m MuteRecord) error
	DeleteMute(ctx context.Context, room, name string) error
}

// rightsRecords returns where changes of room rights are recorded: the
// store for a single node, the cluster (sharedRights) for several.
func (h *Hub) rightsRecords() RightsStore {
	if h.cluster != nil {
		return sharedRights{h}
	}
	return h.store
}

// timedRecords returns where bans and mutes are recorded: the store for
// a single node, which the caller then puts in memory itself; the cluster
// for several (sharedTimed), which puts them in memory itself.
func (h *Hub) timedRecords() timedWriter {
	if h.cluster != nil {
		return sharedTimed{h}
	}
	return h.store
}

// sharedTimed records bans and mutes in the cluster and puts each into
// this node's memory at once, with the revision written, as the watcher
// does on every node (so the user who made the change sees it in the
// answer to their command, and the watcher's older news of the same name
// cannot undo it).
type sharedTimed struct{ h *Hub }

func (st sharedTimed) SaveBan(ctx context.Context, b BanRecord) error {
	rev, err := st.h.cluster.SaveBan(ctx, b)
	if err == nil {
		st.h.putBan(b, rev, false)
	}
	return err
}

func (st sharedTimed) DeleteBan(ctx context.Context, room, name string) error {
	rev, err := st.h.cluster.DeleteBan(ctx, room, name)
	if err == nil {
		st.h.liftBan(Fold(room), Fold(name), rev, false)
	}
	return err
}

func (st sharedTimed) SaveMute(ctx context.Context, m MuteRecord) error {
	rev, err := st.h.cluster.SaveMute(ctx, m)
	if err == nil {
		st.h.putMute(m, rev, false)
	}
	return err
}

func (st sharedTimed) DeleteMute(ctx context.Context, room, name string) error {
	rev, err := st.h.cluster.DeleteMute(ctx, room, name)
	if err == nil {
		st.h.liftMute(Fold(room), Fold(name), rev, false)
	}
	return err
}

// fresh reports whether a change of r's ban or mute record k ("ban " or
// "mute " and the folded name) at the cluster's revision rev is news: not
// older than the last put in. watched says it comes from the watcher, else
// from this node's own write (which the watcher gives again later);
// lifted, that it is a deletion (rev: the deleted record's, for this
// node's own; 0 if there was none). r.timedRevs keeps the last revision
// of each record there is, and of one this node lifted until the watcher
// gives that deletion (whose own revision is later): bounded by the
// records. The caller holds mu for writing.
func (r *room) fresh(k string, rev uint64, watched, lifted bool) bool {
	if rev == 0 {
		return true // lifted here, and not in the cluster: nothing to order
	}
	last := r.timedRevs[k]
	switch {
	case watched && lifted && rev > last:
		delete(r.timedRevs, k) // nothing older can come any more
		return true
	case !watched && lifted && rev == last:
		// This node's own lift of the very record it has: news at once
		// (the user who lifted it and the one lifted, if here, see it in
		// the answer), and rev stays, so that the watcher's late news of
		// that record cannot put it back before its deletion comes.
		return true
	case rev <= last:
		return false
	}
	if r.timedRevs == nil {
		r.timedRevs = map[string]uint64{}
	}
	r.timedRevs[k] = rev
	return true
}

// sharedRoom returns the room whose folded name is key, unless it is gone;
// the caller holds mu.
func (h *Hub) sharedRoom(key string) *room {
	if r := h.rooms[key]; r != nil && !r.gone {
		return r
	}
	return nil
}

// sharedRights records changes of room rights in the cluster, each a
// compare-and-set of the room's record, and puts the record as written
// into this node's memory at once (applyRights), so that the user who
// made the change sees it in the answer to their command.
type sharedRights struct{ h *Hub }

// LoadRights has nothing to load: the cluster's watcher puts every room's
// rights in (RemoteRights).
func (sharedRights) LoadRights(context.Context) (RightsSnapshot, error) { return RightsSnapshot{}, nil }

// update changes room's shared rights with change and applies the result.
func (sr sharedRights) update(ctx context.Context, room string, change func(*SharedRights) error) error {
	rights, err := sr.h.cluster.UpdateRights(ctx, room, change)
	if err != nil {
		return err
	}
	sr.h.RemoteRights(rights)
	return nil
}

func (sr sharedRights) SetTopic(ctx context.Context, room, topic string) error {
	return sr.update(ctx, room, func(r *SharedRights) error { r.Topic = topic; return nil })
}

func (sr sharedRights) SetLocked(ctx context.Context, room string, locked bool) error {
	return sr.update(ctx, room, func(r *SharedRights) error {
		r.Locked = locked
		if !locked {
			r.Invites = nil
		}
		return nil
	})
}

func (sr sharedRights) SaveAdmin(ctx context.Context, a AdminRecord) error {
	return sr.update(ctx, a.Room, func(r *SharedRights) error {
		var err error
		r.Admins, err = replaceNamed(r.Admins, a, func(a AdminRecord) string { return a.Name })
		return err
	})
}

func (sr sharedRights) DeleteAdmin(ctx context.Context, room, name string) error {
	return sr.update(ctx, room, func(r *SharedRights) error {
		r.Admins = slices.DeleteFunc(r.Admins, func(a AdminRecord) bool { return Fold(a.Name) == Fold(name) })
		return nil
	})
}

func (sr sharedRights) SaveInvite(ctx context.Context, i InviteRecord) error {
	return sr.update(ctx, i.Room, func(r *SharedRights) error {
		var err error
		r.Invites, err = replaceNamed(r.Invites, i, func(i InviteRecord) string { return i.Name })
		return err
	})
}

// replaceNamed returns recs with rec in place of the record of the same
// folded name, or added: ErrRoomRecordsFull if that would make more than
// MaxRoomRecords (counted on the cluster's record, so across nodes).
func replaceNamed[T any](recs []T, rec T, name func(T) string) ([]T, error) {
	key := Fold(name(rec))
	if i := slices.IndexFunc(recs, func(o T) bool { return Fold(name(o)) == key }); i >= 0 {
		recs[i] = rec
		return recs, nil
	}
	if len(recs) >= MaxRoomRecords {
		return recs, ErrRoomRecordsFull
	}
	return append(recs, rec), nil
}

// RemoteRights puts rights, a room's shared record, into the hub's room of
// that name, unless the hub has a later revision of it already (or no
// such room). The cluster's watcher calls it with every revision, this
// node's own too. Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteRights(rights SharedRights) {
	h.mu.Lock()
	r := h.rooms[Fold(rights.Room)]
	if r == nil || r.gone || rights.Rev <= r.rightsRev {
		h.mu.Unlock()
		return
	}
	r.rightsRev = rights.Rev
	locked := rights.Locked && Fold(r.name) != Fold(DefaultRoom)
	lockChanged := locked != r.locked
	r.topic, r.locked = rights.Topic, locked
	admins := make(map[string]AdminRecord, len(rights.Admins))
	for _, a := range rights.Admins {
		admins[Fold(a.Name)] = a
	}
	r.admins = admins
	h.putInvites(r, rights.Invites)
	r.roster.Store(nil)
	if lockChanged {
		h.roomList.Store(nil)
	}
	h.mu.Unlock()
	if lockChanged {
		h.rosterAll()
	} else {
		h.rosterRoom(r)
	}
}

// putInvites makes invs r's invitations, keeping those it has (marked
// told if invs says so); the caller holds mu for writing.
func (h *Hub) putInvites(r *room, invs []InviteRecord) {
	if !r.locked {
		h.forgetInvites(r)
		return
	}
	now := make(map[string]InviteRecord, len(invs))
	for _, inv := range invs {
		now[Fold(inv.Name)] = inv
	}
	for key, old := range r.invites {
		if _, ok := now[key]; !ok {
			h.dropUntold(key, r, old)
			delete(r.invites, key)
		}
	}
	for key, inv := range now {
		if old := r.invites[key]; old != nil {
			old.Told = old.Told || inv.Told
			continue
		}
		h.addInvite(r, &inv)
	}
}

// RemoteBan puts the ban rec, at the cluster's revision rev, into its
// room, unless it has ended (or the hub has no such room, or a later
// revision of it). Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteBan(rec BanRecord, rev uint64) { h.putBan(rec, rev, true) }

// putBan is RemoteBan, for the watcher (watched) or this node's own write.
func (h *Hub) putBan(rec BanRecord, rev uint64, watched bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := Fold(rec.Name)
	r := h.sharedRoom(Fold(rec.Room))
	switch {
	case r == nil || !r.fresh("ban "+key, rev, watched, false):
	case !live(rec, h.now()):
		r.bans.drop(key)
	default:
		r.addBan(rec)
		h.arm(r, rec.Until)
	}
}

// RemoteUnban forgets the ban of the name whose folded form is name from
// the room whose folded name is room, lifted in the cluster at revision
// rev. Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteUnban(room, name string, rev uint64) { h.liftBan(room, name, rev, true) }

// liftBan is RemoteUnban, for the watcher (watched) or this node's own
// deletion of the record at revision rev.
func (h *Hub) liftBan(room, name string, rev uint64, watched bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.sharedRoom(room); r != nil && r.fresh("ban "+name, rev, watched, true) {
		r.bans.drop(name)
	}
}

// RemoteMute puts the mute rec, at the cluster's revision rev, into its
// room, unless it has ended. Safe from any goroutine with no engine lock
// held.
func (h *Hub) RemoteMute(rec MuteRecord, rev uint64) { h.putMute(rec, rev, true) }

// putMute is RemoteMute, for the watcher (watched) or this node's own write.
func (h *Hub) putMute(rec MuteRecord, rev uint64, watched bool) {
	h.mu.Lock()
	key := Fold(rec.Name)
	r := h.sharedRoom(Fold(rec.Room))
	if r == nil || !r.fresh("mute "+key, rev, watched, false) {
		h.mu.Unlock()
		return
	}
	if live(rec, h.now()) {
		r.mutes.put(key, rec)
		h.arm(r, rec.Until)
	} else {
		r.mutes.drop(key)
	}
	h.mutesChanged(r)
	h.mu.Unlock()
	h.rosterRoom(r)
}

// RemoteUnmute forgets the mute of the name whose folded form is name in
// the room whose folded name is room, lifted in the cluster at revision
// rev. Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteUnmute(room, name string, rev uint64) { h.liftMute(room, name, rev, true) }

// liftMute is RemoteUnmute, for the watcher (watched) or this node's own
// deletion of the record at revision rev.
func (h *Hub) liftMute(room, name string, rev uint64, watched bool) {
	h.mu.Lock()
	r := h.sharedRoom(room)
	if r == nil || !r.fresh("mute "+name, rev, watched, true) {
		h.mu.Unlock()
		return
	}
	if _, ok := r.mutes.recs[name]; !ok {
		h.mu.Unlock()
		return
	}
	r.mutes.drop(name)
	h.mutesChanged(r)
	h.mu.Unlock()
	h.rosterRoom(r)
}
