package chat

import (
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultOutboxBytes is how many bytes of undelivered lines a session may
// have queued before the oldest are dropped.
const DefaultOutboxBytes = 256 << 10

// Outbox is the bounded queue of events waiting for one session's writer.
// The engine pushes without ever blocking; the door's writer drains
// everything queued at once, so lines that pile up leave in one write. The
// queue is bounded in bytes, each event counting the bytes of its lines as
// the line door sends them (a /rooms listing of 1 000 lines counts them
// all). When a push would pass the bound, the oldest events are dropped
// until a quarter of it is free, and counted (in lines), and the writer
// tells the user how many lines they missed. An event bigger than the
// bound on its own is queued alone and is the first to go.
type Outbox struct {
	mu      sync.Mutex
	q       []*Event
	bytes   int // what q holds, by eventSize
	max     int // bytes
	dropped int // lines
	closed  bool
	ready   chan struct{}
	onReady func()
	slow    *SlowClients // counts the lines dropped; nil until the session logs in
}

// NewOutbox returns an outbox that holds at most maxBytes bytes of lines
// (DefaultOutboxBytes if maxBytes <= 0).
func NewOutbox(maxBytes int) *Outbox {
	if maxBytes <= 0 {
		maxBytes = DefaultOutboxBytes
	}
	return &Outbox{max: maxBytes, ready: make(chan struct{}, 1)}
}

// Push queues e. It never blocks and is safe from any goroutine. It reports
// false if the outbox is closed.
func (o *Outbox) Push(e *Event) bool { return o.push(e, nil) }

// push queues e and, if the push wants the writer woken (it found the
// queue empty), wakes it: with the Ready channel, or with the OnReady
// hook, which it keeps in w if w (not nil) has a round open, and calls at
// once if not.
func (o *Outbox) push(e *Event, w *Wakes) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	size := eventSize(e)
	if o.bytes+size > o.max && len(o.q) > 0 {
		o.dropOldest(o.bytes + size - (o.max - o.max/4))
	}
	o.q = append(o.q, e)
	o.bytes += size
	wake := len(o.q) == 1
	hook, ready := o.onReady, o.ready
	o.mu.Unlock()
	if wake && (hook == nil || w == nil || !w.keep(hook)) {
		signal(hook, ready)
	}
	return true
}

// dropOldest drops the oldest events until at least need bytes are free,
// or none is left, and counts their lines. The caller holds mu.
func (o *Outbox) dropOldest(need int) {
	n, kept, freed, lines := 0, 0, 0, 0
	for ; n < len(o.q) && freed < need; n++ {
		if e := o.q[n]; e.Kind == KindRoster {
			// It costs nothing, and the screen gets no other until
			// it has seen this one: kept.
			o.q[kept] = e
			kept++
			continue
		}
		freed += eventSize(o.q[n])
		lines += eventLines(o.q[n])
	}
	k := kept + copy(o.q[kept:], o.q[n:])
	clear(o.q[k:])
	o.q = o.q[:k]
	o.bytes -= freed
	o.dropped += lines
	if o.slow != nil {
		o.slow.dropped.Add(uint64(lines))
	}
}

// eventSize is what e costs an outbox: the bytes of its lines as the line
// door sends them, '\n' included. The kinds a room's history keeps are
// reckoned without rendering them (a screen never does, and the rendered
// line would live as long as the history); the rest are rendered, once per
// event, as the line door does anyway. KindRoster has no line and costs
// nothing; a session has at most one queued.
func eventSize(e *Event) int {
	const tag = len("<> \n") // around the sender's name, and the line's end
	switch e.Kind {
	case KindChat:
		return tag + len(e.From) + len(e.Text)
	case KindSystem:
		return tag + len(SystemName) + len(e.Text)
	case KindWhisper:
		return tag + len(e.Bot) + len(e.From) + len(" whispered to you: ") + len(e.Text)
	case KindHistory:
		return tag + len(SystemName) + len("[15:04] <> ") + len(e.From) + len(e.Text)
	case KindWhisperSent: // no line, but a screen keeps its text
		return tag + len("you whispered to : ") + len(e.To) + len(e.Text)
	}
	return len(e.Line())
}

// eventLines is how many lines e stands for when it is dropped: a bot's
// block counts each of its lines, KindRoster none (it has no line, and is
// never dropped), anything else one. KindWhisperSent, which has no line
// either, only goes to screens, which show it as a line.
func eventLines(e *Event) int {
	switch e.Kind {
	case KindBot:
		return 1 + strings.Count(e.Text, "\n")
	case KindRoster:
		return 0
	}
	return 1
}

// OnReady makes the outbox call f, instead of signalling Ready, whenever a
// push finds it empty and when it is closed: for a writer that runs only
// while there is something to write, so an idle session costs no
// goroutine. f must not block. If events are queued already, or the outbox
// is closed, f is called at once. Ready is then nil, and its channel is
// not kept.
func (o *Outbox) OnReady(f func()) {
	o.mu.Lock()
	o.onReady, o.ready = f, nil
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
	o.bytes = 0
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

// Bytes returns how many bytes of lines are queued, as Push reckons them.
func (o *Outbox) Bytes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

// Closed reports whether the outbox was closed.
func (o *Outbox) Closed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// SlowClients counts what the engine did about clients that read slower
// than their chat arrives: lines dropped from full outboxes, and sessions
// cut because their client took nothing for the doors' write timeout. For
// metrics: the counts only grow. Safe for concurrent use.
type SlowClients struct {
	dropped atomic.Uint64
	cut     atomic.Uint64
}

// Dropped returns how many lines were dropped from full outboxes.
func (s *SlowClients) Dropped() uint64 { return s.dropped.Load() }

// Cut returns how many sessions were cut for not reading.
func (s *SlowClients) Cut() uint64 { return s.cut.Load() }

// CountCut counts a session cut for not reading; the door that cuts it
// calls it.
func (s *SlowClients) CountCut() { s.cut.Add(1) }

// SlowClients returns the hub's slow-client counters.
func (h *Hub) SlowClients() *SlowClients { return &h.slow }

// QueuedBytes returns how many bytes of lines wait in the outboxes of all
// logged-in users: what slow readers cost the server right now.
func (h *Hub) QueuedBytes() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, s := range h.users {
		n += s.out.Bytes()
	}
	return n
}

// countDrops makes o count the lines it drops in slow.
func (o *Outbox) countDrops(slow *SlowClients) {
	o.mu.Lock()
	o.slow = slow
	o.mu.Unlock()
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
// writer woken, the OnReady hook is kept in w, for w's next Run: the
// pusher's round is open (Wakes.Hold), so that Run comes at the latest
// when the pusher holds no lock. What other goroutines push to the same
// outbox, with other Wakes or none, changes nothing to that. A Ready
// channel is signalled at once: that runs no door code and never blocks.
// Outside a round of w it is Push. Safe from any goroutine; a push that
// wants no wake-up costs no more than Push.
func (o *Outbox) PushHeld(e *Event, w *Wakes) bool { return o.push(e, w) }
