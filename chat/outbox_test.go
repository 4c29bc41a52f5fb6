package chat_test

import (
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"chatserver/chat"
)

func ev(i int) *chat.Event {
	return &chat.Event{Kind: chat.KindChat, From: "alice", Text: strconv.Itoa(i), Time: t0}
}

func texts(evs []*chat.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Text
	}
	return out
}

func seq(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func TestOutboxKeepsOrder(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(8)
	for i := range 5 {
		if !o.Push(ev(i)) {
			t.Fatalf("Push %d refused", i)
		}
	}
	if o.Len() != 5 {
		t.Errorf("Len = %d, want 5", o.Len())
	}
	evs, dropped, closed := o.Drain(nil)
	if got := texts(evs); !slices.Equal(got, seq(0, 4)) || dropped != 0 || closed {
		t.Errorf("Drain = %q, %d, %v; want 0..4, 0, false", got, dropped, closed)
	}
	if o.Len() != 0 {
		t.Errorf("Len after Drain = %d, want 0", o.Len())
	}
}

func TestOutboxOverflowDropsOldestAndCounts(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(8)
	for i := range 9 {
		o.Push(ev(i))
	}
	if o.Len() > 8 {
		t.Fatalf("Len = %d, over the cap of 8", o.Len())
	}
	evs, dropped, _ := o.Drain(nil)
	got := texts(evs)
	if dropped+len(got) != 9 {
		t.Errorf("%d delivered + %d counted as dropped, want 9 in all", len(got), dropped)
	}
	if !slices.Equal(got, seq(9-len(got), 8)) {
		t.Errorf("kept %q, want the newest lines in order", got)
	}
	// The count is reported once.
	o.Push(ev(100))
	if evs, dropped, _ := o.Drain(nil); dropped != 0 || len(evs) != 1 {
		t.Errorf("second Drain = %d events, %d dropped; want 1, 0", len(evs), dropped)
	}
}

func TestOutboxStaysBoundedUnderAFlood(t *testing.T) {
	t.Parallel()
	for _, max := range []int{1, 2, 3, 4, 7, 100, 0} {
		o := chat.NewOutbox(max)
		limit := max
		if limit <= 0 {
			limit = chat.DefaultOutboxLen
		}
		const n = 10000
		for i := range n {
			o.Push(ev(i))
			if o.Len() > limit {
				t.Fatalf("max %d: Len = %d after %d pushes", max, o.Len(), i+1)
			}
		}
		evs, dropped, _ := o.Drain(nil)
		got := texts(evs)
		if dropped+len(got) != n {
			t.Errorf("max %d: %d kept + %d dropped != %d pushed", max, len(got), dropped, n)
		}
		if !slices.Equal(got, seq(n-len(got), n-1)) {
			t.Errorf("max %d: kept lines are not the newest in order: %q", max, got)
		}
	}
}

func TestOutboxClose(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(4)
	o.Push(ev(1))
	o.Close()
	o.Close() // safe twice
	if o.Push(ev(2)) {
		t.Errorf("Push after Close = true, want false")
	}
	if !o.Closed() {
		t.Errorf("Closed = false after Close")
	}
	evs, _, closed := o.Drain(nil)
	if got := texts(evs); !slices.Equal(got, []string{"1"}) || !closed {
		t.Errorf("Drain after Close = %q, closed %v; want what was queued before, true", got, closed)
	}
}

// A writer that waits on Ready is woken for every push that finds the
// outbox empty, and for Close: no line is left behind.
func TestOutboxReadyWakesWriter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		o := chat.NewOutbox(16)
		var got []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			var buf []*chat.Event
			for range o.Ready() {
				evs, _, closed := o.Drain(buf)
				got = append(got, texts(evs)...)
				buf = evs
				if closed {
					return
				}
			}
		}()
		for i := range 50 {
			o.Push(ev(i))
			if i%3 == 0 {
				o.Push(ev(1000 + i)) // sometimes two before the writer runs
			}
			synctest.Wait()
			want := 0
			for j := 0; j <= i; j++ {
				want++
				if j%3 == 0 {
					want++
				}
			}
			if len(got) != want {
				t.Fatalf("after push %d the writer has %d lines, want %d", i, len(got), want)
			}
		}
		o.Close()
		<-done
	})
}

// OnReady replaces the Ready channel: it is called when a push finds the
// outbox empty and on Close.
func TestOutboxOnReady(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(16)
	calls := 0
	o.OnReady(func() { calls++ })
	o.Push(ev(1))
	o.Push(ev(2))
	if calls != 1 {
		t.Errorf("two pushes into an empty outbox called OnReady %d times, want 1", calls)
	}
	o.Drain(nil)
	o.Push(ev(3))
	if calls != 2 {
		t.Errorf("a push after Drain: %d calls, want 2", calls)
	}
	o.Close()
	if calls != 3 {
		t.Errorf("Close: %d calls, want 3", calls)
	}
}

func TestDroppedText(t *testing.T) {
	t.Parallel()
	if got, want := chat.DroppedText(256), "256 lines were dropped because your connection is too slow."; got != want {
		t.Errorf("DroppedText(256) = %q, want %q", got, want)
	}
}

// TestOnReadyLate: a hook set after events were queued (a UI attaches to a
// session that is already logged in) is called at once, so nothing queued
// before it waits for the next push.
func TestOnReadyLate(t *testing.T) {
	o := chat.NewOutbox(8)
	o.Push(&chat.Event{Kind: chat.KindSystem, Text: "Logging in as alice"})
	var calls atomic.Int32
	o.OnReady(func() { calls.Add(1) })
	if calls.Load() != 1 {
		t.Fatalf("hook called %d times when set on a non-empty outbox, want 1", calls.Load())
	}
	o.Drain(nil)
	o.Push(&chat.Event{Kind: chat.KindSystem, Text: "hi"})
	o.Close()
	if calls.Load() != 3 {
		t.Fatalf("hook called %d times after a push and a close, want 3", calls.Load())
	}
}
