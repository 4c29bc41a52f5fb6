package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
)

// RoomsBucket is the KV bucket of the rooms: a key per room (Key of its
// folded name), its value the room's record.
const RoomsBucket = "chat_rooms"

// Rooms shares the rooms of every node: a room is created once
// cluster-wide (KV Create: of nodes racing to create one name, one wins)
// and every node learns of it by watching the bucket. Safe for concurrent
// use.
type Rooms struct {
	kv  jetstream.KeyValue
	log *slog.Logger
}

// RoomsConfig says how the rooms bucket is made.
type RoomsConfig struct {
	Replicas int          // copies of the bucket: 3 (R3) if 0
	Logger   *slog.Logger // nil: discard
}

// roomValue is a room's record in the bucket: as created, and its rights
// (slice 5a, rights.go).
type roomValue struct {
	Name    string        `json:"name"`
	Creator string        `json:"creator,omitempty"`
	Created time.Time     `json:"created"`
	Topic   string        `json:"topic,omitempty"`
	Locked  bool          `json:"locked,omitempty"`
	Admins  []adminValue  `json:"admins,omitempty"`
	Invites []inviteValue `json:"invites,omitempty"`
}

// OpenRooms creates the rooms bucket, or opens it as another node made it.
func OpenRooms(ctx context.Context, js jetstream.JetStream, cfg RoomsConfig) (*Rooms, error) {
	kv, err := openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: RoomsBucket, Replicas: cfg.Replicas, History: 5})
	if err != nil {
		return nil, err
	}
	return &Rooms{kv: kv, log: orDiscard(cfg.Logger)}, nil
}

// CreateRoom records the room r cluster-wide (it implements
// chat.Cluster). If another node created a room of that folded name
// first, it fails with an error wrapping chat.ErrRoomExists and returns
// that room's record. A Create retried after its first try was stored and
// the answer lost finds its own record, and counts as created.
func (rs *Rooms) CreateRoom(ctx context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	k := Key(chat.Fold(r.Name))
	data, err := json.Marshal(roomValue{Name: r.Name, Creator: r.Creator, Created: r.Created})
	if err != nil {
		return chat.RoomRecord{}, fmt.Errorf("create room %s: %w", r.Name, err)
	}
	_, err = rs.kv.Create(ctx, k, data)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return chat.RoomRecord{}, fmt.Errorf("create room %s: %w", r.Name, err)
	}
	e, err := rs.kv.Get(ctx, k)
	for try := 1; errors.Is(err, jetstream.ErrKeyNotFound) && try < updateTries && pause(ctx, try); try++ {
		e, err = rs.kv.Get(ctx, k) // answered by a replica not caught up yet
	}
	if err != nil {
		return chat.RoomRecord{}, fmt.Errorf("read room %s: %w", r.Name, err)
	}
	had, err := decodeRoom(e.Value())
	if err != nil {
		return chat.RoomRecord{}, fmt.Errorf("read room %s: %w", r.Name, err)
	}
	if had.Creator == r.Creator && had.Created.Equal(r.Created) {
		return r, nil // our own, stored by an earlier try
	}
	return had, fmt.Errorf("create room %s: %w", r.Name, chat.ErrRoomExists)
}

// decodeRoom reads a room's record from its value in the bucket.
func decodeRoom(data []byte) (chat.RoomRecord, error) {
	var v roomValue
	if err := json.Unmarshal(data, &v); err != nil {
		return chat.RoomRecord{}, err
	}
	return chat.RoomRecord{Name: v.Name, Creator: v.Creator, Created: v.Created}, nil
}

// RoomsHub is what Rooms.Run tells of the rooms' changes: chat.Hub.
type RoomsHub interface {
	RemoteRoom(chat.RoomRecord)
	RemoteRights(chat.SharedRights)
	RemoteBan(b chat.BanRecord, rev uint64)
	RemoteUnban(room, name string, rev uint64)
	RemoteMute(m chat.MuteRecord, rev uint64)
	RemoteUnmute(room, name string, rev uint64)
}

// Run watches the bucket until ctx is done and tells hub of every room in
// it, with its rights, bans and mutes, those there already first, then
// each change as it is made (the node's own too: chat.Hub ignores a room
// it has and rights it has a later revision of). hub is called on Run's
// goroutine, one change at a time; ready, if not nil, once the rooms there
// already have been told: once the watch has given the bucket's last
// revision as it was when Run started (the watch's own end-of-initial
// marker has been seen to come before the values under load: it counts
// for nothing here).
func (rs *Rooms) Run(ctx context.Context, hub RoomsHub, ready func()) error {
	last, err := rs.lastRevision(ctx)
	if err != nil {
		return err
	}
	initial := true                     // until the rooms there were have been told
	var early []jetstream.KeyValueEntry // bans and mutes among them, told after their rooms
	caughtUp := func() {
		for _, e := range early {
			recovered(rs.log, "a room's record", func() { rs.timed(e, hub) })
		}
		early, initial = nil, false
		if ready != nil {
			ready()
			ready = nil
		}
	}
	if last == 0 {
		caughtUp()
	}
	return watch(ctx, rs.log, rs.kv, "bucket "+RoomsBucket, nil, func(e jetstream.KeyValueEntry) {
		if e == nil {
			return // the watch's end-of-initial marker
		}
		recovered(rs.log, "a room's record", func() { rs.tell(e, hub, initial, &early) })
		if initial && e.Revision() >= last {
			caughtUp()
		}
	})
}

// tell tells hub of e: a room's record at once; a ban or mute at once, or,
// while the watch gives the values there were (initial), once every room
// has been told (appended to early): the watch gives each key's last value
// in the order they were written, so a room's record may come after its
// bans.
func (rs *Rooms) tell(e jetstream.KeyValueEntry, hub RoomsHub, initial bool, early *[]jetstream.KeyValueEntry) {
	switch {
	case strings.Contains(e.Key(), ".") && initial:
		*early = append(*early, e)
	case strings.Contains(e.Key(), "."):
		rs.timed(e, hub)
	case e.Operation() != jetstream.KeyValuePut:
		// rooms are never deleted yet
	default:
		var v roomValue
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			rs.log.Warn("room record", "key", e.Key(), "err", err)
			return
		}
		hub.RemoteRoom(chat.RoomRecord{Name: v.Name, Creator: v.Creator, Created: v.Created})
		hub.RemoteRights(v.rights(e.Revision()))
	}
}

// lastRevision returns the bucket's last revision, 0 if it is empty.
func (rs *Rooms) lastRevision(ctx context.Context) (uint64, error) {
	st, err := rs.kv.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("bucket %s: %w", RoomsBucket, err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, fmt.Errorf("bucket %s: status %T", RoomsBucket, st)
	}
	return bs.StreamInfo().State.LastSeq, nil
}
