package chat_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
)

// TestOutboxHold: while an outbox is held its OnReady hook is not called;
// the Release that ends the last hold calls it once if a push or close
// wanted it, and not at all otherwise.
func TestOutboxHold(t *testing.T) {
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
	o.Hold()
	o.Push(ev(1))
	check("push while held", 0)
	o.Hold()
	o.Release()
	check("release of an inner hold", 0)
	o.Release()
	check("release of the last hold", 1)
	o.Push(ev(2)) // not empty: no wake-up wanted
	o.Hold()
	o.Release()
	check("hold and release with nothing wanted", 0)
	o.Drain(nil)
	o.Push(ev(3))
	check("push, not held", 1)
	o.Hold()
	o.Close()
	check("close while held", 0)
	o.Release()
	check("release after a close", 1)
}

// TestOutboxHoldRacing: pushes from many goroutines, some holding the
// outbox and some not, never lose a wake-up: a writer woken by the hook
// drains every event.
func TestOutboxHoldRacing(t *testing.T) {
	t.Parallel()
	const pushers, each = 8, 500
	o := chat.NewOutbox(pushers * each)
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
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				if p%2 == 0 {
					o.Hold()
					o.Push(ev(i))
					o.Release()
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
