package chat_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// BenchmarkRooms measures Hub.Rooms, what every SSH screen asks once a
// second and on every change, with 1 000 rooms, while other readers ask at
// the same time (readers=N: N goroutines calling Rooms in a loop) and a
// user talks in one room.
func BenchmarkRooms(b *testing.B) {
	for _, readers := range []int{0, 8, 64} {
		b.Run("readers="+strconv.Itoa(readers), func(b *testing.B) {
			h := chattest.NewHub(b, chat.Config{MaxRooms: 1000})
			ctx := context.Background()
			talker := chattest.Login(b, h, "talker")
			for i := range 999 {
				talker.Input(ctx, "/switch r"+strconv.Itoa(i))
			}
			talker.Outbox().Drain(nil)
			stop := make(chan struct{})
			var reads atomic.Int64
			var wg sync.WaitGroup
			for range readers {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						n := 0
						for _, r := range h.Rooms() {
							n += r.Members
						}
						if n != 1 {
							panic("members of every room: " + strconv.Itoa(n))
						}
						reads.Add(1)
					}
				})
			}
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					talker.Input(ctx, "a line")
					if i%64 == 0 {
						talker.Outbox().Drain(nil)
					}
				}
			})
			start := time.Now()
			for b.Loop() {
				rooms := h.Rooms()
				if len(rooms) != 1000 {
					b.Fatalf("%d rooms", len(rooms))
				}
			}
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(reads.Load()+int64(b.N))/time.Since(start).Seconds(), "calls/s")
		})
	}
}
