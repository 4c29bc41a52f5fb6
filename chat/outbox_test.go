package chat_test

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"chatserver/chat"
	"chatserver/chat/chattest"
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

// evBytes is the size of ev(i) for i < 10: "<alice> i\n".
const evBytes = 10

func TestOutboxKeepsOrder(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(5 * evBytes)
	for i := range 5 {
		if !o.Push(ev(i)) {
			t.Fatalf("Push %d refused", i)
		}
	}
	if o.Len() != 5 || o.Bytes() != 5*evBytes {
		t.Errorf("Len, Bytes = %d, %d; want 5, %d", o.Len(), o.Bytes(), 5*evBytes)
	}
	evs, dropped, closed := o.Drain(nil)
	if got := texts(evs); !slices.Equal(got, seq(0, 4)) || dropped != 0 || closed {
		t.Errorf("Drain = %q, %d, %v; want 0..4, 0, false", got, dropped, closed)
	}
	if o.Len() != 0 || o.Bytes() != 0 {
		t.Errorf("Len, Bytes after Drain = %d, %d; want 0, 0", o.Len(), o.Bytes())
	}
}

func TestOutboxOverflowDropsOldestAndCounts(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(8 * evBytes)
	for i := range 9 {
		o.Push(ev(i))
	}
	if o.Len() != 6 || o.Bytes() != 6*evBytes {
		t.Fatalf("Len, Bytes = %d, %d; want the oldest quarter of the bytes dropped: 6, %d", o.Len(), o.Bytes(), 6*evBytes)
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

// TestOutboxKeepsRoster: an overflow counts the lines it drops, not a
// roster event, which has none; that event stays queued, as the screen
// gets no other until it has seen it.
func TestOutboxKeepsRoster(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(8 * evBytes)
	roster := &chat.Event{Kind: chat.KindRoster}
	o.Push(roster)
	for i := range 9 {
		o.Push(ev(i))
	}
	evs, dropped, _ := o.Drain(nil)
	lines := slices.DeleteFunc(slices.Clone(evs), func(e *chat.Event) bool { return e == roster })
	if len(lines) == len(evs) {
		t.Errorf("the roster event was dropped: %q", texts(evs))
	}
	if dropped+len(lines) != 9 {
		t.Errorf("%d lines delivered + %d counted as dropped, want 9 in all", len(lines), dropped)
	}
}

func TestOutboxStaysBoundedUnderAFlood(t *testing.T) {
	t.Parallel()
	for _, max := range []int{1, 9, 10, 11, 15, 30, 100, 4096, 0} {
		o := chat.NewOutbox(max)
		limit := max
		if limit <= 0 {
			limit = chat.DefaultOutboxBytes
		}
		const n = 100000
		for i := range n {
			o.Push(ev(i))
			if o.Bytes() > limit && o.Len() > 1 {
				t.Fatalf("max %d: %d bytes in %d events after %d pushes", max, o.Bytes(), o.Len(), i+1)
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

// An event bigger than the whole outbox (a long listing to a small one) is
// queued alone, not refused and not wedged: it goes out when the writer
// drains, or is the first dropped, its every line counted.
func TestOutboxEventOverTheCap(t *testing.T) {
	t.Parallel()
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = strconv.Itoa(i) + ". room"
	}
	big := &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: strings.Join(lines, "\n"), Time: t0}
	o := chat.NewOutbox(100)
	o.Push(ev(1))
	o.Push(big)
	if evs, dropped, _ := o.Drain(nil); len(evs) != 1 || evs[0] != big || dropped != 1 {
		t.Fatalf("Drain = %d events, %d dropped; want the block alone, 1 line dropped", len(evs), dropped)
	}
	o.Push(big)
	o.Push(ev(2))
	o.Push(ev(3))
	evs, dropped, _ := o.Drain(nil)
	if got := texts(evs); !slices.Equal(got, []string{"2", "3"}) || dropped != 100 {
		t.Errorf("Drain = %q, %d dropped; want 2, 3 and the block's 100 lines dropped", got, dropped)
	}
	if o.Bytes() != 0 {
		t.Errorf("Bytes after Drain = %d", o.Bytes())
	}
}

// The lines a logged-in session's outbox drops are counted in the hub's
// SlowClients, and QueuedBytes sees what waits.
func TestOutboxDropsCounted(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	bob := chattest.Login(t, h, "bob")
	alice, err := h.Login(t.Context(), "alice", chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(1000)})
	if err != nil {
		t.Fatal(err)
	}
	alice.Outbox().Drain(nil)
	chattest.Lines(bob)
	for i := range 1000 {
		bob.Input(t.Context(), "message "+strconv.Itoa(i))
	}
	if got := h.QueuedBytes(); got != alice.Outbox().Bytes() || got > 1000 || got < 750 {
		t.Errorf("QueuedBytes = %d, alice's outbox %d bytes; want between 750 and 1000, all alice's", got, alice.Outbox().Bytes())
	}
	_, dropped, _ := alice.Outbox().Drain(nil)
	if got := h.SlowClients().Dropped(); dropped == 0 || got != uint64(dropped) {
		t.Errorf("SlowClients().Dropped() = %d, alice was told of %d", got, dropped)
	}
	if got := h.SlowClients().Cut(); got != 0 {
		t.Errorf("Cut = %d, want 0: only doors cut", got)
	}
}

func TestOutboxClose(t *testing.T) {
	t.Parallel()
	o := chat.NewOutbox(0)
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
		o := chat.NewOutbox(0)
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
	o := chat.NewOutbox(0)
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
	o := chat.NewOutbox(0)
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

// BenchmarkOutboxPush: the cost of queueing a line for a reader that
// drains every 64 lines, and for one that never does (every push past the
// cap drops), for a chat line and for a /rooms listing of 1 000 lines.
func BenchmarkOutboxPush(b *testing.B) {
	rooms := make([]string, 1000)
	for i := range rooms {
		rooms[i] = strconv.Itoa(i+1) + ". room" + strconv.Itoa(i)
	}
	for _, bc := range []struct {
		name  string
		e     *chat.Event
		drain bool
	}{
		{"chat/reader", ev(12345), true},
		{"chat/stalled", ev(12345), false},
		{"listing/reader", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: strings.Join(rooms, "\n")}, true},
		{"listing/stalled", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: strings.Join(rooms, "\n")}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o := chat.NewOutbox(0)
			var buf []*chat.Event
			i := 0
			for b.Loop() {
				o.Push(bc.e)
				if i++; bc.drain && i%64 == 0 {
					buf, _, _ = o.Drain(buf)
				}
			}
		})
	}
}
