package bench

import (
	"testing"
	"time"
)

// TestOrderCheck feeds the ledger synthetic streams: two rooms, each with
// two senders (who read the other's lines) and two readers who send
// nothing, four lines per sender. It asserts the exactly-once counts and
// the order check's.
func TestOrderCheck(t *testing.T) {
	t.Parallel()
	type line = lineRef
	// The order the server would give each room.
	room0 := []line{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}}
	room1 := []line{{3, 0}, {2, 0}, {2, 1}, {3, 1}, {3, 2}, {2, 2}, {2, 3}, {3, 3}}
	swap := func(ls []line, i, j int) []line {
		ls = append([]line(nil), ls...)
		ls[i], ls[j] = ls[j], ls[i]
		return ls
	}
	without := func(ls []line, i int) []line {
		return append(append([]line(nil), ls[:i]...), ls[i+1:]...)
	}
	// Receivers: 0-1 the senders of room 0, 2-3 its readers, 4-5 the
	// senders of room 1, 6-7 its readers. A stream holds every line of
	// the room; a sender's receiver skips its own.
	for _, tc := range []struct {
		name    string
		streams map[int][]line // receiver -> what it got, if not its room's order
		missing int64
		dups    int64
		falls   int64
		notRef  int64
		first   *orderViolation
	}{
		{name: "in order"},
		{
			// Reader 3 gets room 0's third and fourth lines the other
			// way round, and reader 7 room 1's fifth and sixth: one fall
			// in each room.
			name:    "swaps",
			streams: map[int][]line{3: swap(room0, 2, 3), 7: swap(room1, 4, 5)},
			falls:   2,
			first:   &orderViolation{Receiver: 3, Reference: 2, Before: line{1, 1}, After: line{0, 1}},
		},
		{
			name:    "a duplicate",
			streams: map[int][]line{1: append(append([]line(nil), room0[:3]...), room0[2:]...)},
			dups:    1,
		},
		{
			name:    "a loss",
			streams: map[int][]line{3: without(room0, 5)},
			missing: 1,
		},
		{
			// Room 0's readers each miss a line; the reference (the
			// longest log of a reader that does not send, the first of
			// equals: reader 2) misses the first, which receivers 1
			// and 3 got and cannot be compared by.
			name:    "the reference loses a line",
			streams: map[int][]line{2: without(room0, 0), 3: without(room0, 7)},
			missing: 2,
			notRef:  2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Unix(1_700_000_000, 0)
			t0 := start.UnixNano()
			l := newLedger(start, []int{0, 0, 1, 1}, []int{4, 4}, 2, false)
			var recvs []*receiver
			for i := range 8 {
				self := -1
				switch i {
				case 0, 1:
					self = i
				case 4, 5:
					self = i - 2
				}
				recvs = append(recvs, l.addReceiver(i/4, self, i%2))
			}
			stamp := func(ln line) int64 { return t0 + int64(ln.Sender*1000+ln.Seq) }
			for _, ln := range append(append([]line(nil), room0...), room1...) {
				l.send(ln.Sender, ln.Seq, stamp(ln))
			}
			for i, r := range recvs {
				stream, ok := tc.streams[i]
				if !ok {
					stream = room0
					if r.room == 1 {
						stream = room1
					}
				}
				for _, ln := range stream {
					if ln.Sender != r.self {
						l.saw(r, ln.Sender, ln.Seq, stamp(ln), stamp(ln)+1)
					}
				}
			}
			got := l.tally()
			if got.Missing != tc.missing || got.Duplicates != tc.dups || got.Stray != 0 {
				t.Errorf("missing %d, duplicates %d, stray %d; want %d, %d, 0", got.Missing, got.Duplicates, got.Stray, tc.missing, tc.dups)
			}
			o := l.order()
			if o.Violations != tc.falls || o.NotInRef != tc.notRef || o.Unchecked != 0 {
				t.Errorf("order: %d violations, %d not in the reference, %d unchecked; want %d, %d, 0",
					o.Violations, o.NotInRef, o.Unchecked, tc.falls, tc.notRef)
			}
			if want := got.Delivered - o.NotInRef; o.Checked != want {
				t.Errorf("order checked %d deliveries, want every delivery at a reference's line (%d)", o.Checked, want)
			}
			if tc.first != nil && (o.First == nil || *o.First != *tc.first) {
				t.Errorf("first violation %+v, want %+v", o.First, tc.first)
			}
			if tc.first == nil && o.First != nil {
				t.Errorf("first violation %+v, want none", o.First)
			}
			if o.roomsChecked != 2 {
				t.Errorf("rooms checked %d, want 2", o.roomsChecked)
			}
			// Per node latency: receivers alternate between two nodes.
			if n0, n1 := l.nodeLatency(0).N, l.nodeLatency(1).N; n0+n1 != uint64(got.Delivered) || n0 == 0 || n1 == 0 {
				t.Errorf("node latencies %d + %d, want both nodes and %d in all", n0, n1, got.Delivered)
			}
		})
	}
}

// TestOrderKeyBound: a line whose key would not fit 32 bits is not logged
// for the order check but counted as unchecked; exactly-once still counts it.
func TestOrderKeyBound(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 0)
	t0 := start.UnixNano()
	rooms := make([]int, 2000) // 2000 senders in one room: seq 3M times 2000 overflows
	l := newLedger(start, rooms, []int{2001}, 1, false)
	r := l.addReceiver(0, -1, 0)
	l.send(1999, 0, t0)
	l.stamps[1999].set(3_000_000, t0+1)
	l.sent[1999].Store(3_000_001)
	l.saw(r, 1999, 0, t0, t0+1)
	l.saw(r, 1999, 3_000_000, t0+1, t0+2)
	if got := r.unique.Load(); got != 2 {
		t.Errorf("unique %d, want 2", got)
	}
	if len(r.order) != 1 || r.unordered != 1 {
		t.Errorf("order log %d, unordered %d; want 1 and 1", len(r.order), r.unordered)
	}
}
