package chat_test

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
)

// TestPushHeld: while a round of a Wakes is open, a push that wants the
// writer woken leaves its OnReady hook to it, and Run calls it once; a
// push that wants no wake-up leaves nothing; with no round open, the
// pusher calls the hook itself, and a plain Push calls it at once, round
// or not: it is made with no lock held.
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
	check("plain push while a round is open", 1)
	w.Run()
	check("run of the second round", 0)
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
	drained := wokenWriter(o, nil)
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
	if n := drained(pushers * each); n != pushers*each {
		t.Errorf("the writer drained %d events, want %d: a wake-up was lost", n, pushers*each)
	}
}

// wokenWriter gives o a writer woken only by its OnReady hook, which calls
// check first (nil for none). The function it returns waits, up to a
// deadline, until want events are drained, closes o, waits for the writer
// to end and returns how many events were drained before the close (so
// without the close's wake-up).
func wokenWriter(o *chat.Outbox, check func()) (drained func(want int64) int64) {
	wake := make(chan struct{}, 1)
	o.OnReady(func() {
		if check != nil {
			check()
		}
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
	return func(want int64) int64 {
		for deadline := time.Now().Add(10 * time.Second); got.Load() < want && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		n := got.Load()
		o.Close()
		<-done
		return n
	}
}

// TestPushHeldNeverWakesInRound: a PushHeld(e, w) never calls the OnReady
// hook on the pusher's goroutine before w.Run, whatever other goroutines
// push to the same outbox with other Wakes (a move's own against a room's)
// or none: the pusher may hold the engine's locks until then. The hook
// finds out on which goroutine it runs and whether that goroutine is
// inside a round; a writer woken only by the hook drains every event. The
// interleaving that did it is rare: a few rounds, each of many pushes.
func TestPushHeldNeverWakesInRound(t *testing.T) {
	t.Parallel()
	for range 5 {
		if !pushHeldRounds(t) {
			return
		}
	}
}

// pushHeldRounds has goroutines push to one outbox, each inside rounds of
// its own Wakes or of one they share, and reports whether all went well.
func pushHeldRounds(t *testing.T) bool {
	t.Helper()
	const pushers, each = 8, 5000
	o := chat.NewOutbox(1 << 24) // bytes: nothing dropped
	var inRound sync.Map         // goroutine id → struct{}: between Hold and Run
	var early atomic.Int64
	drained := wokenWriter(o, func() {
		if _, held := inRound.Load(goid()); held {
			early.Add(1)
		}
	})
	var shared chat.Wakes // a room's, for two senders
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			id := goid()
			var own chat.Wakes // a login's or a move's
			w := &own
			if p < 2 {
				w = &shared
			}
			for i := range each {
				w.Hold()
				inRound.Store(id, struct{}{})
				o.PushHeld(ev(i), w)
				inRound.Delete(id)
				w.Run()
				if i%7 == 0 {
					o.Push(ev(i)) // a plain push, with no round
				}
			}
		})
	}
	wg.Wait()
	total := int64(pushers * (each + (each+6)/7))
	n := drained(total)
	ok := true
	if e := early.Load(); e > 0 {
		t.Errorf("the hook ran %d times on a pusher's goroutine between Hold and Run", e)
		ok = false
	}
	if n != total {
		t.Errorf("the writer drained %d events, want %d: a wake-up was lost", n, total)
		ok = false
	}
	return ok
}

// goid returns the id of the calling goroutine, from its stack's header
// ("goroutine 18 [running]:").
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	b, _, _ = bytes.Cut(b, []byte(" "))
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		panic("goid: " + err.Error())
	}
	return id
}
