package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// BenchmarkFanout measures the engine delivering one message to a room of
// 100 users, with the in-memory store and with the SQLite store behind it:
// the store must not slow the hot path. The outboxes are drained every 64
// messages, as the doors' writers would.
func BenchmarkFanout(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) { benchFanout(b, store.NewMemory(0)) })
	b.Run("store=sqlite", func(b *testing.B) {
		s, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "chat.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchFanout(b, s)
		b.ReportMetric(float64(s.Dropped()), "dropped")
	})
}

func benchFanout(b *testing.B, st chat.Store) {
	ctx := b.Context()
	hub, err := chat.New(ctx, chat.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	const members = 100
	var boxes []*chat.Outbox
	var speaker *chat.Session
	for i := range members {
		box := chat.NewOutbox(0)
		s, err := hub.Login(ctx, fmt.Sprintf("user%d", i), chat.LoginOptions{Door: "bench", Outbox: box})
		if err != nil {
			b.Fatal(err)
		}
		boxes = append(boxes, box)
		speaker = s
	}
	var buf []*chat.Event
	n := 0
	start := time.Now()
	for b.Loop() {
		speaker.Input(ctx, "a message of ordinary length, said to the whole room")
		n++
		if n%64 == 0 {
			for _, box := range boxes {
				buf, _, _ = box.Drain(buf)
			}
		}
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/secs, "msgs/s")
	b.ReportMetric(float64(n*(members-1))/secs, "deliveries/s")
}
