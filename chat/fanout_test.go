package chat_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
)

// BenchmarkFanoutWoken is BenchmarkFanout with writers as the line door
// runs them: none while the outbox is empty, one started by the outbox's
// OnReady hook when a push finds it so, which drains until it is empty
// again. So it measures the wake-ups of idle writers too.
func BenchmarkFanoutWoken(b *testing.B) {
	const members = 1000
	h := newHub(b, nil)
	ctx := context.Background()
	sender := login(b, h, "sender")
	var delivered atomic.Int64
	var wg sync.WaitGroup
	for i := range members - 1 {
		out := chat.NewOutbox(0)
		if _, err := h.Login(ctx, "u"+strconv.Itoa(i), chat.LoginOptions{Door: "bench", Outbox: out}); err != nil {
			b.Fatal(err)
		}
		var writing atomic.Bool
		drain := func() {
			defer wg.Done()
			var buf []*chat.Event
			for {
				evs, dropped, _ := out.Drain(buf)
				n := dropped
				for _, e := range evs {
					if e.Kind == chat.KindChat {
						e.Line()
						n++
					}
				}
				delivered.Add(int64(n))
				buf = evs
				writing.Store(false)
				if out.Len() == 0 || !writing.CompareAndSwap(false, true) {
					return
				}
			}
		}
		out.OnReady(func() {
			if writing.CompareAndSwap(false, true) {
				wg.Add(1)
				go drain()
			}
		})
	}
	text := "a message of a typical length, said to a big room"
	start := time.Now()
	n := 0
	for b.Loop() {
		sender.Input(ctx, text)
		n++
	}
	want := int64(n) * (members - 1)
	for delivered.Load() < want { // delivered or dropped
		runtime.Gosched()
	}
	elapsed := time.Since(start)
	wg.Wait()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(want), "ns/delivery")
}
