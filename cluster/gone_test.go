package cluster_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
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
	c := clustertest.Start(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.OpenNames(t.Context(), js, cluster.NamesConfig{Node: "a"}); err != nil {
		t.Fatal(err)
	}
	ls, err := cluster.OpenLines(t.Context(), js, cluster.LinesConfig{Node: "a"})
	if err != nil {
		t.Fatal(err)
	}
	real, err := js.KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatal(err)
	}
	kv := &endingKV{KeyValue: real}
	seen := make(chan string, 100)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- ls.RunGone(ctx, kv, func(folded string) (chat.Line, bool) {
			seen <- folded
			return chat.Line{}, false
		}, func(string, string) {})
	}()
	deadline := time.After(20 * time.Second)
	for live := false; !live; { // a name purged, as a dead node's is, until the watcher sees one
		if _, err := real.Put(t.Context(), cluster.Key("anna"), []byte("b x")); err != nil {
			t.Fatal(err)
		}
		if err := real.Purge(t.Context(), cluster.Key("anna")); err != nil {
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
