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

// TestRoomsShared: the room list is made once per change of the rooms or
// their members and shared by every caller (each screen asks every second),
// its message counts are live, and a list handed out before a change still
// shows the rooms as they were.
func TestRoomsShared(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	ctx := t.Context()
	alice := chattest.Login(t, h, "alice")
	first, again := h.Rooms(), h.Rooms()
	if len(first) != 1 || &first[0] != &again[0] {
		t.Fatalf("two calls with no change in between: %v and %v, not one shared list", first, again)
	}
	bob := chattest.Login(t, h, "bob")
	bob.Input(ctx, "hi")
	bob.Input(ctx, "all")
	now := h.Rooms()
	if now[0].Members != 2 || first[0].Members != 1 {
		t.Errorf("after bob came: %d members (the earlier list: %d), want 2 (1)", now[0].Members, first[0].Members)
	}
	if n, m := now[0].Messages(), first[0].Messages(); n != 2 || m != 2 {
		t.Errorf("after two messages: %d and, in the earlier list, %d; want 2, read live", n, m)
	}
	if again := h.Rooms(); &again[0] != &now[0] {
		t.Error("messages made a new list; only rooms and members should")
	}
	alice.Input(ctx, "/switch den")
	if now = h.Rooms(); len(now) != 2 || now[1].Name != "den" || now[1].Members != 1 || now[0].Members != 1 {
		t.Errorf("after alice made den: %v", now)
	}
}
