package chat

import (
	"sync"
	"sync/atomic"
)

// DefaultOutboxLen is how many undelivered events a session may have queued
// before the oldest are dropped.
const DefaultOutboxLen = 1024

// Outbox is the bounded queue of events waiting for one session's writer.
// The engine pushes without ever blocking; the door's writer drains
// everything queued at once, so lines that pile up leave in one write. When
// the queue is full the oldest quarter is dropped and counted, and the
// writer tells the user how many lines they missed.
type Outbox struct {
	mu      sync.Mutex
	q       []*Event
	max     int
	dropped int
	closed  bool
	ready   chan struct{}
	onReady func()

	held   atomic.Int32           // Holds in force
	missed atomic.Pointer[func()] // the hook a held push or close did not call
}

// NewOutbox returns an outbox that holds at most max events (DefaultOutboxLen if max <= 0).
func NewOutbox(max int) *Outbox {
	if max <= 0 {
		max = DefaultOutboxLen
	}
	return &Outbox{max: max, ready: make(chan struct{}, 1)}
}

// Push queues e. It never blocks and is safe from any goroutine. It reports
// false if the outbox is closed.
func (o *Outbox) Push(e *Event) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	if len(o.q) >= o.max {
		n := o.max / 4
		if n < 1 {
			n = 1
		}
		o.dropped += n
		k := copy(o.q, o.q[n:])
		clear(o.q[k:])
		o.q = o.q[:k]
	}
	o.q = append(o.q, e)
	wake := len(o.q) == 1
	hook, ready := o.onReady, o.ready
	o.mu.Unlock()
	if wake {
		signal(hook, ready)
	}
	return true
}

// OnReady makes the outbox call f, instead of signalling Ready, whenever a
// push finds it empty and when it is closed: for a writer that runs only
// while there is something to write, so an idle session costs no
// goroutine. f must not block. If events are queued already, or the outbox
// is closed, f is called at once. Ready is then nil, and its channel is
// not kept.
func (o *Outbox) OnReady(f func()) {
	o.mu.Lock()
	o.onReady, o.ready = o.holdable(f), nil
	now := len(o.q) > 0 || o.closed
	o.mu.Unlock()
	if now {
		f()
	}
}

// signal wakes the outbox's writer: hook if set, else ready.
func signal(hook func(), ready chan struct{}) {
	if hook != nil {
		hook()
		return
	}
	select {
	case ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that receives when there may be something to drain
// or the outbox was closed.
func (o *Outbox) Ready() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ready
}

// Drain moves every queued event into buf (reusing its storage) and returns
// it, with how many events were dropped since the last drain and whether the
// outbox is closed. The writer goroutine that owns the session calls it.
func (o *Outbox) Drain(buf []*Event) (evs []*Event, dropped int, closed bool) {
	clear(buf)
	o.mu.Lock()
	evs, o.q = o.q, buf[:0]
	dropped, o.dropped = o.dropped, 0
	closed = o.closed
	o.mu.Unlock()
	return evs, dropped, closed
}

// Close marks the outbox closed: later pushes are refused, and the writer
// sends what is queued, then ends. Safe to call more than once.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	hook, ready := o.onReady, o.ready
	o.mu.Unlock()
	signal(hook, ready)
}

// Len returns how many events are queued.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.q)
}

// Closed reports whether the outbox was closed.
func (o *Outbox) Closed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// Hold holds back the OnReady hook: a push or close that would call it
// while a hold is in force leaves it to the Release that ends the last
// hold. The engine queues under its locks and calls no door code there
// (CONCURRENCY.md, rule 4): it holds an outbox before pushing to it under
// a lock and releases it once it holds no lock. A Ready channel is not
// held: signalling it never blocks nor runs door code. Every Hold needs
// one Release; safe from any goroutine.
func (o *Outbox) Hold() { o.held.Add(1) }

// Release ends a Hold, calling the OnReady hook if a push or close wanted
// it while held and no other hold is in force. The caller holds no lock.
func (o *Outbox) Release() {
	if o.held.Add(-1) == 0 {
		o.callMissed()
	}
}

// holdable wraps f, an OnReady hook, so that Hold can hold it back.
func (o *Outbox) holdable(f func()) func() {
	fp := &f
	return func() {
		if o.held.Load() == 0 {
			f()
			return
		}
		o.missed.Store(fp)
		// The last Release may have looked before the store: look again.
		if o.held.Load() == 0 {
			o.callMissed()
		}
	}
}

// callMissed calls the hook a held push left, once.
func (o *Outbox) callMissed() {
	if f := o.missed.Swap(nil); f != nil {
		(*f)()
	}
}
