package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// endingKV is a bucket whose first watch ends at once (its channel
// closed, as nats.go closes a watch whose consumer it cannot recreate);
// later watches are the bucket's own. It counts the watches.
type endingKV struct {
	jetstream.KeyValue
	watches atomic.Int64
}

func (kv *endingKV) WatchAll(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	if kv.watches.Add(1) == 1 {
		ch := make(chan jetstream.KeyValueEntry)
		close(ch)
		return endedWatch(ch), nil
	}
	return kv.KeyValue.WatchAll(ctx, opts...)
}

// endedWatch is a watch whose updates channel is closed.
type endedWatch chan jetstream.KeyValueEntry

func (w endedWatch) Updates() <-chan jetstream.KeyValueEntry { return w }
func (endedWatch) Stop() error                               { return nil }

// TestRunGoneWatchesAgain proves that the dead nodes' watcher
// (Lines.RunGone) outlives a watch of chat_online that ends under it: it
// watches again and still sees a dead node's names go (so their users
// leave the other nodes' /users), instead of spinning on the closed
// channel (a whole core burnt) or returning (which stopped every other
// part of the node: Node.Run); and once its connection is closed it
// tries again at most once a second until it is stopped.
func TestRunGoneWatchesAgain(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenNames(t.Context(), js, NamesConfig{Node: "a"}); err != nil {
		t.Fatal(err)
	}
	ls, err := OpenLines(t.Context(), js, LinesConfig{Node: "a"})
	if err != nil {
		t.Fatal(err)
	}
	real, err := js.KeyValue(t.Context(), NamesBucket)
	if err != nil {
		t.Fatal(err)
	}
	kv := &endingKV{KeyValue: real}
	seen := make(chan string, 100)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- ls.RunGone(ctx, kv, func(folded string) (chat.Departure, bool) {
			seen <- folded
			return chat.Departure{}, false
		}, func(string, string) {})
	}()
	deadline := time.After(20 * time.Second)
	for live := false; !live; { // a name purged, as a dead node's is, until the watcher sees one
		if _, err := real.Put(t.Context(), Key("anna"), []byte("b x")); err != nil {
			t.Fatal(err)
		}
		if err := real.Purge(t.Context(), Key("anna")); err != nil {
			t.Fatal(err)
		}
		select {
		case name := <-seen:
			live = name == "anna"
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no name gone seen in 20 s after the first watch ended (%d watches)", kv.watches.Load())
		}
	}
	if n := kv.watches.Load(); n != 2 {
		t.Errorf("%d watches for one that ended, want 2", n)
	}

	nc.Close()
	start := time.Now()
	for kv.watches.Load() < 4 {
		select {
		case err := <-done:
			t.Fatalf("RunGone returned %v while its context lives", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if n, most := kv.watches.Load(), 3+int64(time.Since(start)/time.Second); n > most {
		t.Errorf("%d watches within %v of the connection closing, want at most one a second", n, time.Since(start))
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunGone: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunGone still running 5 s after its context ended")
	}
}

// roomsSeen is a RoomsHub that sends the name of each room it is told of.
type roomsSeen chan string

func (h roomsSeen) RemoteRoom(r chat.RoomRecord)      { h <- r.Name }
func (roomsSeen) RemoteRights(chat.SharedRights)      {}
func (roomsSeen) RemoteBan(chat.BanRecord, uint64)    {}
func (roomsSeen) RemoteUnban(string, string, uint64)  {}
func (roomsSeen) RemoteMute(chat.MuteRecord, uint64)  {}
func (roomsSeen) RemoteUnmute(string, string, uint64) {}

// TestRoomsWatchAgain proves that the rooms' watcher (Rooms.Run, and
// the identity's watchBucket, through the same watch) outlives a watch of
// chat_rooms that ends under it: a room created after that is still in
// this node's /rooms, where the watcher used to return an error, which
// stopped every part of the node (Node.Run).
func TestRoomsWatchAgain(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	other, err := OpenRooms(t.Context(), js, RoomsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	kv := &endingKV{KeyValue: other.kv}
	rs := &Rooms{kv: kv, log: orDiscard(nil)}
	seen := make(roomsSeen, 10)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- rs.Run(ctx, seen, nil) }()
	for kv.watches.Load() < 2 { // the first ended; wait for the second
		select {
		case err := <-done:
			t.Fatalf("Run returned %v once its watch ended", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	if _, err := other.CreateRoom(t.Context(), chat.RoomRecord{Name: "Calm", Creator: "anna", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-seen:
		if name != "Calm" {
			t.Errorf("told of room %q, want Calm", name)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a room created after the watch ended was not told in 20 s")
	}
}
