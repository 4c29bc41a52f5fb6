package metrics_test

import (
	"context"
	"testing"
	"time"

	"chatserver/app/metrics"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// BenchmarkSay is chat's BenchmarkSay (a message to a room of two) without
// and with the fan-out histogram observed: what the metrics add to a
// message on the hot path (two clock reads and an Observe; the counters
// are there either way).
func BenchmarkSay(b *testing.B) {
	for _, tc := range []struct {
		name    string
		observe func(time.Duration)
	}{
		{"metrics=off", nil},
		{"metrics=on", metrics.New().ObserveFanOut},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, err := chat.New(context.Background(), chat.Config{Store: store.NewMemory(0), ObserveFanOut: tc.observe})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			sender, listener := chattest.Login(b, h, "sender"), chattest.Login(b, h, "listener")
			text := "a message of a typical length, said to a small room"
			n := 0
			for b.Loop() {
				sender.Input(ctx, text)
				if n++; n%256 == 0 {
					listener.Outbox().Drain(nil)
				}
			}
		})
	}
}
