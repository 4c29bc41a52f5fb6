package chat_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
)

// TestPushHeld: while a round of a Wakes is open, a push that wants the
// writer woken leaves its OnReady hook to it, and Run calls it once; a
// push that wants no wake-up leaves nothing; with no round open, the
// pusher calls the hook itself.
func TestPushHeld(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	o := chat.NewOutbox(0)
	o.OnReady(func() { calls.Add(1) })
	check := func(what string, want int32) {
		t.Helper()
		if n := calls.Swap(0); n != want {
			t.Errorf("%s: hook called %d times, want %d", what, n, want)
		}
	}
	var w chat.Wakes
	w.Hold()
	o.PushHeld(ev(1), &w)
	check("held push to an empty outbox", 0)
	o.PushHeld(ev(2), &w)
	check("held push to a busy outbox", 0)
	w.Run()
	check("run", 1)
	o.Drain(nil)
	o.PushHeld(ev(3), &w)
	check("push with no round open", 1)
	o.Drain(nil)
	w.Hold()
	w.Hold() // a second round, overlapping
	o.PushHeld(ev(4), &w)
	w.Run()
	check("run of the first of two rounds", 1)
	o.Drain(nil)
	o.Push(ev(5)) // another goroutine's push while a round is open
	check("push while a round is open", 0)
	w.Run()
	check("run of the second round", 1)
	o.Close()
	check("close", 1)
}

// TestPushHeldRacing: pushes from many goroutines, some held and some
// not, never lose a wake-up: a writer woken only by the hook drains every
// event.
func TestPushHeldRacing(t *testing.T) {
	t.Parallel()
	const pushers, each = 8, 500
	o := chat.NewOutbox(1 << 24) // bytes: nothing dropped
	wake := make(chan struct{}, 1)
	o.OnReady(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range wake {
			evs, _, closed := o.Drain(nil)
			got.Add(int64(len(evs)))
			if closed {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var w chat.Wakes // shared, as a room's is by its senders
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				if p%2 == 0 {
					w.Hold()
					o.PushHeld(ev(i), &w)
					w.Run()
				} else {
					o.Push(ev(i))
				}
			}
		})
	}
	wg.Wait()
	// Every event is drained without the close's wake-up.
	for deadline := time.Now().Add(10 * time.Second); got.Load() < pushers*each && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := got.Load(); n != pushers*each {
		t.Errorf("the writer drained %d events, want %d: a wake-up was lost", n, pushers*each)
	}
	o.Close()
	<-done
}
