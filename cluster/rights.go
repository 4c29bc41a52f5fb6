package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
)

// Slice 5a: a room's rights (topic, lock, admins, invitations) are part of
// its record in the rooms bucket, changed by compare-and-set
// (UpdateRights); its bans and mutes are keys of their own,
// "<room>.ban.<name>" and "<room>.mute.<name>" (Key of the folded names),
// written whole (one record per name: the last writer's stands) and
// deleted with the revision read.

// updateTries bounds how often UpdateRights reads a room's record again
// after another node changed it between its read and its write (or after
// a read from a server not caught up yet: kv.Get may be answered by any
// replica).
const updateTries = 20

// pause waits a little longer at each try (1 ms more), so that a replica
// behind catches up; false if ctx is done first.
func pause(ctx context.Context, try int) bool {
	t := time.NewTimer(time.Duration(try) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// adminValue is a name made admin with /op, in a room's record.
type adminValue struct {
	Name string    `json:"n"`
	By   string    `json:"b,omitempty"`
	Time time.Time `json:"t"`
}

// inviteValue is an invitation, in a room's record.
type inviteValue struct {
	Name string    `json:"n"`
	By   string    `json:"b,omitempty"`
	Told bool      `json:"k,omitempty"`
	Time time.Time `json:"t"`
}

// rights returns the rights in v, at revision rev.
func (v *roomValue) rights(rev uint64) chat.SharedRights {
	r := chat.SharedRights{Room: v.Name, Topic: v.Topic, Locked: v.Locked, Rev: rev}
	for _, a := range v.Admins {
		r.Admins = append(r.Admins, chat.AdminRecord{Room: v.Name, Name: a.Name, By: a.By, Time: a.Time})
	}
	for _, i := range v.Invites {
		r.Invites = append(r.Invites, chat.InviteRecord{Room: v.Name, Name: i.Name, By: i.By, Told: i.Told, Time: i.Time})
	}
	return r
}

// setRights puts r into v.
func (v *roomValue) setRights(r chat.SharedRights) {
	v.Topic, v.Locked, v.Admins, v.Invites = r.Topic, r.Locked, nil, nil
	for _, a := range r.Admins {
		v.Admins = append(v.Admins, adminValue{Name: a.Name, By: a.By, Time: a.Time})
	}
	for _, i := range r.Invites {
		v.Invites = append(v.Invites, inviteValue{Name: i.Name, By: i.By, Told: i.Told, Time: i.Time})
	}
}

// UpdateRights changes the rights of the room called room (it implements
// chat.Cluster): it reads the room's record and its revision, runs change
// on its rights and writes the record back with kv.Update at that
// revision; if another node wrote it meanwhile (ErrKeyRevisionMismatch)
// it reads again and reruns change, up to updateTries times. A room
// without a record (DefaultRoom, which nobody creates) gets one. An error
// of change is returned as it is.
func (rs *Rooms) UpdateRights(ctx context.Context, room string, change func(*chat.SharedRights) error) (chat.SharedRights, error) {
	k := Key(chat.Fold(room))
	for try := range updateTries {
		if try > 0 && !pause(ctx, try) {
			break
		}
		v := roomValue{Name: room}
		var rev uint64
		e, err := rs.kv.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return chat.SharedRights{}, fmt.Errorf("read room %s: %w", room, err)
		default:
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return chat.SharedRights{}, fmt.Errorf("read room %s: %w", room, err)
			}
			rev = e.Revision()
		}
		r := v.rights(rev)
		if err := change(&r); err != nil {
			return chat.SharedRights{}, err
		}
		v.setRights(r)
		data, err := json.Marshal(v)
		if err != nil {
			return chat.SharedRights{}, fmt.Errorf("write room %s: %w", room, err)
		}
		if rev == 0 {
			rev, err = rs.kv.Create(ctx, k, data)
		} else {
			rev, err = rs.kv.Update(ctx, k, data, rev)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			continue // another node's change came first: redo ours on it
		}
		if err != nil {
			return chat.SharedRights{}, fmt.Errorf("write room %s: %w", room, err)
		}
		r.Rev = rev
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return chat.SharedRights{}, fmt.Errorf("write room %s: %w", room, err)
	}
	return chat.SharedRights{}, fmt.Errorf("write room %s: changed by others %d times in a row", room, updateTries)
}

// timedKey returns the key of the ban or mute (kind "ban" or "mute") of
// name in room.
func timedKey(room, kind, name string) string {
	return Key(chat.Fold(room)) + "." + kind + "." + Key(chat.Fold(name))
}

// put writes rec, a ban or a mute, under its key, and returns its revision.
func (rs *Rooms) put(ctx context.Context, room, kind, name string, rec any) (uint64, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("%s %s in %s: %w", kind, name, room, err)
	}
	rev, err := rs.kv.Put(ctx, timedKey(room, kind, name), data)
	if err != nil {
		return 0, fmt.Errorf("%s %s in %s: %w", kind, name, room, err)
	}
	return rev, nil
}

// lift deletes the ban or mute of name in room, with the revision it read
// (so it never deletes a record written after that read: it reads again),
// and returns that revision, 0 if there was none.
func (rs *Rooms) lift(ctx context.Context, room, kind, name string) (uint64, error) {
	k := timedKey(room, kind, name)
	for try := range updateTries {
		if try > 0 && !pause(ctx, try) {
			break
		}
		e, err := rs.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("lift %s of %s in %s: %w", kind, name, room, err)
		}
		err = rs.kv.Delete(ctx, k, jetstream.LastRevision(e.Revision()))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("lift %s of %s in %s: %w", kind, name, room, err)
		}
		return e.Revision(), nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("lift %s of %s in %s: %w", kind, name, room, err)
	}
	return 0, fmt.Errorf("lift %s of %s in %s: changed by others %d times in a row", kind, name, room, updateTries)
}

// SaveBan records the ban b for every node (it implements chat.Cluster).
func (rs *Rooms) SaveBan(ctx context.Context, b chat.BanRecord) (uint64, error) {
	return rs.put(ctx, b.Room, "ban", b.Name, b)
}

// DeleteBan lifts the ban of name from room for every node.
func (rs *Rooms) DeleteBan(ctx context.Context, room, name string) (uint64, error) {
	return rs.lift(ctx, room, "ban", name)
}

// SaveMute records the mute m for every node.
func (rs *Rooms) SaveMute(ctx context.Context, m chat.MuteRecord) (uint64, error) {
	return rs.put(ctx, m.Room, "mute", m.Name, m)
}

// DeleteMute lifts the mute of name in room for every node.
func (rs *Rooms) DeleteMute(ctx context.Context, room, name string) (uint64, error) {
	return rs.lift(ctx, room, "mute", name)
}

// timed tells hub of e, a change of a ban or mute key.
func (rs *Rooms) timed(e jetstream.KeyValueEntry, hub RoomsHub) {
	parts := strings.Split(e.Key(), ".")
	if len(parts) != 3 {
		return
	}
	room, rok := unkey(parts[0])
	name, nok := unkey(parts[2])
	if !rok || !nok {
		rs.log.Warn("room record", "key", e.Key(), "err", "not a key")
		return
	}
	put, rev := e.Operation() == jetstream.KeyValuePut, e.Revision()
	var err error
	switch parts[1] {
	case "ban":
		if !put {
			hub.RemoteUnban(room, name, rev)
			return
		}
		var b chat.BanRecord
		if err = json.Unmarshal(e.Value(), &b); err == nil {
			hub.RemoteBan(b, rev)
		}
	case "mute":
		if !put {
			hub.RemoteUnmute(room, name, rev)
			return
		}
		var m chat.MuteRecord
		if err = json.Unmarshal(e.Value(), &m); err == nil {
			hub.RemoteMute(m, rev)
		}
	}
	if err != nil {
		rs.log.Warn("room record", "key", e.Key(), "err", err)
	}
}

// UpdateRights is Rooms.UpdateRights.
func (n *Node) UpdateRights(ctx context.Context, room string, change func(*chat.SharedRights) error) (chat.SharedRights, error) {
	return n.rooms.UpdateRights(ctx, room, change)
}

// SaveBan is Rooms.SaveBan.
func (n *Node) SaveBan(ctx context.Context, b chat.BanRecord) (uint64, error) {
	return n.rooms.SaveBan(ctx, b)
}

// DeleteBan is Rooms.DeleteBan.
func (n *Node) DeleteBan(ctx context.Context, room, name string) (uint64, error) {
	return n.rooms.DeleteBan(ctx, room, name)
}

// SaveMute is Rooms.SaveMute.
func (n *Node) SaveMute(ctx context.Context, m chat.MuteRecord) (uint64, error) {
	return n.rooms.SaveMute(ctx, m)
}

// DeleteMute is Rooms.DeleteMute.
func (n *Node) DeleteMute(ctx context.Context, room, name string) (uint64, error) {
	return n.rooms.DeleteMute(ctx, room, name)
}
