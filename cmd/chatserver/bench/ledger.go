package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// A sender's line numbers run below maxSeq; a sender that reaches it stops.
const (
	stampChunk = 4096
	maxSeq     = 1024 * stampChunk
)

// stampLog is when each of a sender's lines was sent, so that a receiver
// can tell a real id from one torn or pieced together on a screen. The
// sender sets, receivers get; safe from any goroutine.
type stampLog struct {
	chunks [maxSeq / stampChunk]atomic.Pointer[[stampChunk]atomic.Int64]
}

func (s *stampLog) set(seq int, nanos int64) {
	c := s.chunks[seq/stampChunk].Load()
	if c == nil {
		c = new([stampChunk]atomic.Int64)
		s.chunks[seq/stampChunk].Store(c)
	}
	c[seq%stampChunk].Store(nanos)
}

func (s *stampLog) get(seq int) int64 {
	if seq < 0 || seq >= maxSeq {
		return -1
	}
	c := s.chunks[seq/stampChunk].Load()
	if c == nil {
		return -1
	}
	return c[seq%stampChunk].Load()
}

// ledger is the exactly-once accounting of a run: which room each user is
// in, how many lines each sender sent, and per receiver which of them
// arrived. Senders and receivers update their own entries without locks;
// the totals are read with atomics while the run goes on.
type ledger struct {
	start   int64 // unix nanoseconds; ids stamped earlier are stale (history of an earlier run)
	rooms   []int // room of each sender
	sent    []atomic.Int64
	stamps  []stampLog
	readers []int // readers in each room
	recv    []*receiver
	lat     shards // latShards per node, node k's from k*latShards
	redraw  bool   // a line seen again is a screen redraw, not a duplicate delivery

	// The order check's numbering of a room's lines: line seq of sender s
	// is key seq*roomSenders[rooms[s]] + local[s], dense within the room.
	local       []int   // index of each sender among its room's senders
	roomSenders [][]int // the senders of each room, by local index
}

// latShards is how many latency histograms each node's receivers share.
const latShards = 16

// receiver is what one reading user saw. Only its reader goroutine writes
// it; the atomics are read by the progress and window loops.
type receiver struct {
	room   int
	self   int // sender slot of this user, -1 if it does not send
	bits   [][]uint64
	got    []atomic.Int64 // unique lines per sender
	unique atomic.Int64
	dups   atomic.Int64 // line modes: the same id again, an error
	redraw atomic.Int64 // pty: the same id again on a redrawn screen
	stray  atomic.Int64 // an id no one should have sent to this room
	stale  atomic.Int64 // an id from before this run (history)
	torn   atomic.Int64 // pty: an id pieced together from a screen half redrawn
	hist   *Histogram
	node   int // index of the address it is logged in through
	// order is the key of each line at its first arrival, in the order
	// they arrived (see ledger.local); unordered counts first arrivals
	// past maxOrderLog or whose key does not fit, which are not checked.
	order     []uint32
	unordered int64
}

// maxOrderLog bounds one receiver's order log (4 bytes a line).
const maxOrderLog = 1 << 22

// newLedger makes the ledger of a run with senders in senderRooms (one
// entry per sender: its room), readersPerRoom reading users and users
// spread over nodes addresses.
func newLedger(start time.Time, senderRooms []int, readersPerRoom []int, nodes int, redraw bool) *ledger {
	l := &ledger{
		start:       start.UnixNano(),
		rooms:       senderRooms,
		sent:        make([]atomic.Int64, len(senderRooms)),
		stamps:      make([]stampLog, len(senderRooms)),
		readers:     readersPerRoom,
		lat:         newShards(latShards * max(1, nodes)),
		redraw:      redraw,
		local:       make([]int, len(senderRooms)),
		roomSenders: make([][]int, len(readersPerRoom)),
	}
	for s, room := range senderRooms {
		l.local[s] = len(l.roomSenders[room])
		l.roomSenders[room] = append(l.roomSenders[room], s)
	}
	return l
}

// addReceiver registers a reading user in room, logged in through node;
// self is its sender slot or -1. Call it before the run starts sending.
func (l *ledger) addReceiver(room, self, node int) *receiver {
	r := &receiver{
		room: room,
		self: self,
		bits: make([][]uint64, len(l.rooms)),
		got:  make([]atomic.Int64, len(l.rooms)),
		hist: &l.lat[node*latShards+len(l.recv)%latShards],
		node: node,
	}
	l.recv = append(l.recv, r)
	return r
}

// send records that sender is about to send line seq, stamped nanos.
// Only the sender's goroutine calls it, in seq order.
func (l *ledger) send(sender, seq int, nanos int64) {
	l.stamps[sender].set(seq, nanos)
	l.sent[sender].Store(int64(seq) + 1)
}

// saw records that r received the line of sender with seq stamped at
// sentNano, at recvNano. It reports whether it was the line's first arrival.
func (l *ledger) saw(r *receiver, sender, seq int, sentNano, recvNano int64) bool {
	if sentNano < l.start {
		r.stale.Add(1)
		return false
	}
	if sender == r.self && l.redraw {
		return false // the UI shows a user its own lines
	}
	if sender < 0 || sender >= len(l.rooms) || sender == r.self || l.rooms[sender] != r.room || seq < 0 || seq >= maxSeq {
		r.stray.Add(1)
		return false
	}
	if l.stamps[sender].get(seq) != sentNano {
		if l.redraw {
			r.torn.Add(1)
		} else {
			r.stray.Add(1)
		}
		return false
	}
	b := r.bits[sender]
	w := seq / 64
	if w >= len(b) {
		nb := make([]uint64, max(w+1, 2*len(b)))
		copy(nb, b)
		b, r.bits[sender] = nb, nb
	}
	mask := uint64(1) << (seq % 64)
	if b[w]&mask != 0 {
		if l.redraw {
			r.redraw.Add(1)
		} else {
			r.dups.Add(1)
		}
		return false
	}
	b[w] |= mask
	if key := uint64(seq)*uint64(len(l.roomSenders[r.room])) + uint64(l.local[sender]); key < math.MaxUint32 && len(r.order) < maxOrderLog {
		r.order = append(r.order, uint32(key))
	} else {
		r.unordered++
	}
	r.got[sender].Add(1)
	r.unique.Add(1)
	r.hist.Record(time.Duration(recvNano - sentNano))
	return true
}

// expected returns how many deliveries the lines sent so far call for:
// each line to every other reader of its sender's room.
func (l *ledger) expected() int64 {
	var n int64
	for s := range l.sent {
		n += l.sent[s].Load() * int64(l.readers[l.rooms[s]]-1)
	}
	return n
}

// nodeLatency returns the latencies of the deliveries to receivers on node.
func (l *ledger) nodeLatency(node int) Snapshot {
	return l.lat[node*latShards : (node+1)*latShards].Snapshot()
}

// delivered returns how many lines arrived, each counted once per receiver.
func (l *ledger) delivered() int64 {
	var n int64
	for _, r := range l.recv {
		n += r.unique.Load()
	}
	return n
}

// inflight returns how many of sender's lines have not reached every
// reader of its room yet.
func (l *ledger) inflight(sender int) int64 {
	low := l.sent[sender].Load()
	for _, r := range l.recv {
		if r.room == l.rooms[sender] && r.self != sender {
			low = min(low, r.got[sender].Load())
		}
	}
	return l.sent[sender].Load() - low
}

// tally is the outcome of a run's accounting.
type tally struct {
	Sent, Expected, Delivered, Missing, Duplicates, Redraws, Stray, Stale, Torn int64
	// MissingReceivers is how many receivers missed at least one line.
	MissingReceivers int
}

// tally counts what arrived against what was sent. Call it once the
// readers are done, or accept numbers that move.
func (l *ledger) tally() tally {
	var t tally
	for s := range l.sent {
		t.Sent += l.sent[s].Load()
	}
	t.Expected = l.expected()
	for _, r := range l.recv {
		var missing int64
		for s := range l.rooms {
			if l.rooms[s] != r.room || s == r.self {
				continue
			}
			sent := l.sent[s].Load()
			// Count the bits below sent, so a line past sent (which
			// cannot be) is not taken for one that was due.
			var have int64
			full := int(sent / 64)
			for i, w := range r.bits[s] {
				switch {
				case i < full:
					have += int64(bits.OnesCount64(w))
				case i == full:
					have += int64(bits.OnesCount64(w & (1<<(sent%64) - 1)))
				}
			}
			missing += sent - have
		}
		if missing > 0 {
			t.MissingReceivers++
		}
		t.Missing += missing
		t.Delivered += r.unique.Load()
		t.Duplicates += r.dups.Load()
		t.Redraws += r.redraw.Load()
		t.Stray += r.stray.Load()
		t.Stale += r.stale.Load()
		t.Torn += r.torn.Load()
	}
	return t
}
