package cluster

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// TestLinePanicSkipped: a room line whose delivery panics (the hub's
// Deliver, as Node.Run gives it to Lines.Run) is skipped, and the lines
// after it are still delivered: the node's users keep getting their
// rooms' lines.
func TestLinePanicSkipped(t *testing.T) {
	c := clustertest.Start(t, 3)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := OpenLines(t.Context(), js, LinesConfig{Node: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	deliver := guardDeliver(orDiscard(nil), func(l chat.Line, _ uint64, _, _ bool) {
		if l.Text == "boom" {
			panic("a bug met a line it did not expect")
		}
		mu.Lock()
		got = append(got, l.Text)
		mu.Unlock()
	})
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ls.Run(ctx, deliver, nil) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for _, text := range []string{"boom", "calm"} {
		if _, err := ls.Publish(t.Context(), chat.Line{Kind: chat.KindChat, Room: "lounge", From: "anna", Text: text, Time: time.Now()}); err != nil {
			t.Fatalf("Publish %s: %v", text, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		ok := slices.Equal(got, []string{"calm"})
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %q, want the line after the one that panicked", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBucketRecordPanicSkipped: a binding, password or server ban whose
// handling panics (watchBucket's apply, the hub's Remote… calls) is
// skipped, and the watch goes on with the next record.
func TestBucketRecordPanicSkipped(t *testing.T) {
	c := clustertest.Start(t, 3)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := openBucket(t.Context(), js, jetstream.KeyValueConfig{Bucket: "panics"})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 10)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- watchBucket(ctx, orDiscard(nil), kv, "panics", nil, func(e jetstream.KeyValueEntry) {
			if e.Key() == "boom" {
				panic("a bug met a record it did not expect")
			}
			seen <- e.Key()
		})
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("watchBucket: %v", err)
		}
	}()
	for _, k := range []string{"boom", "calm"} {
		if _, err := kv.Put(t.Context(), k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case k := <-seen:
		if k != "calm" {
			t.Errorf("applied %q, want calm", k)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the record after the one that panicked was not applied")
	}
}
