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

// roomValue is a room's record in the bucket.
type roomValue struct {
	Name    string    `json:"name"`
	Creator string    `json:"creator,omitempty"`
	Created time.Time `json:"created"`
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
	for try := 0; errors.Is(err, jetstream.ErrKeyNotFound) && try < 40; try++ {
		// A direct get may ask a replica that has not stored the winner's
		// Create yet: ask again, a little later.
		time.Sleep(25 * time.Millisecond)
		e, err = rs.kv.Get(ctx, k)
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

// Run watches the bucket until ctx is done and calls add with every room
// in it, those there already first, then each as it is created (the
// node's own too: chat.Hub.RemoteRoom, which add is in a node, ignores
// rooms it has). add is called on Run's goroutine, one at a time; ready,
// if not nil, once the rooms there already have been added.
func (rs *Rooms) Run(ctx context.Context, add func(chat.RoomRecord), ready func()) error {
	w, err := rs.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch bucket %s: %w", RoomsBucket, err)
	}
	defer w.Stop()
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case e, ok = <-w.Updates():
		}
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch bucket %s: ended", RoomsBucket)
		}
		if e == nil { // the end of the rooms there were
			if ready != nil {
				ready()
				ready = nil
			}
			continue
		}
		if e.Operation() != jetstream.KeyValuePut || strings.Contains(e.Key(), ".") {
			continue // a deletion; a room's ban or mute (later slices)
		}
		r, err := decodeRoom(e.Value())
		if err != nil {
			rs.log.Warn("room record", "key", e.Key(), "err", err)
			continue
		}
		add(r)
	}
}
