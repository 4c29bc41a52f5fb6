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
	holder  atomic.Pointer[Wakes] // that of the last PushHeld; beside mu, on the line a push loads anyway
	mu      sync.Mutex
	q       []*Event
	max     int
	dropped int
	closed  bool
	ready   chan struct{}
	onReady func()
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

// Wakes collects the OnReady hooks of outboxes pushed to under the
// engine's locks, so that no door code runs under them (CONCURRENCY.md,
// rule 4). A round is Hold, any number of PushHeld, then Run once the
// pusher holds no lock. Rounds of several goroutines may overlap (a room's
// senders, one after the other); a hook is kept while any round is open
// and called by the next Run. The zero value is ready; safe from any
// goroutine.
type Wakes struct {
	mu    sync.Mutex
	open  int // rounds held, not yet run
	hooks []func()
	spare []func() // the storage of a list Run called, for the next
}

// Hold opens a round: until its Run, hooks wanted by pushes with
// PushHeld(e, w) are kept, not called.
func (w *Wakes) Hold() {
	w.mu.Lock()
	w.open++
	w.mu.Unlock()
}

// Run closes a round opened by Hold and calls the hooks kept so far, each
// once. The caller holds no lock.
func (w *Wakes) Run() {
	w.mu.Lock()
	w.open--
	hooks := w.hooks
	w.hooks, w.spare = w.spare, nil
	w.mu.Unlock()
	if len(hooks) == 0 {
		return
	}
	for _, f := range hooks {
		f()
	}
	clear(hooks)
	w.mu.Lock()
	if w.spare == nil {
		w.spare = hooks[:0] // a busy room's list is made once, not once a message
	}
	w.mu.Unlock()
}

// keep adds f to w's hooks; false if no round is open.
func (w *Wakes) keep(f func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.open == 0 {
		return false
	}
	w.hooks = append(w.hooks, f)
	return true
}

// PushHeld pushes e as Push does, except that if the push wants the
// writer woken while a round of w is open (Wakes.Hold), the OnReady hook
// is left to w's Run. A Ready channel is signalled at once: that runs no
// door code and never blocks. Safe from any goroutine; an outbox pushed to
// with the same w again costs no more than Push.
func (o *Outbox) PushHeld(e *Event, w *Wakes) bool {
	if o.holder.Load() != w {
		o.holder.Store(w)
	}
	return o.Push(e)
}

// holdable wraps f, an OnReady hook, so that it is left to the Wakes of
// the outbox's last PushHeld while a round of it is open. (A push from
// another goroutine in that time is left to it too, and called by the
// round's Run.)
func (o *Outbox) holdable(f func()) func() {
	return func() {
		if w := o.holder.Load(); w != nil && w.keep(f) {
			return
		}
		f()
	}
}
