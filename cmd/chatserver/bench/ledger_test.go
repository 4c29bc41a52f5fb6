package bench

import (
	"math"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{0, 1, 63, 127, 128, 129, 255, 256, 1000, 12345, 999_999, 1 << 40, math.MaxInt64} {
		i := bucketOf(v)
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Errorf("bucketOf(%d) = %d, whose range [%d, %d] misses it", v, i, lo, hi)
		}
		if v >= histSub && float64(hi-lo+1)/float64(lo) > 1.0/64+1e-9 {
			t.Errorf("bucket of %d is [%d, %d]: wider than 1/64", v, lo, hi)
		}
		if i >= histBuckets {
			t.Errorf("bucketOf(%d) = %d, past the last bucket %d", v, i, histBuckets-1)
		}
	}
	// Buckets tile the values: each starts right after the one before.
	for i := 1; i < histBuckets-1; i++ {
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, bucket %d ends at %d", i, lo, i-1, prevHi)
		}
	}
}

func TestHistogramPercentiles(t *testing.T) {
	t.Parallel()
	var h Histogram
	if got := h.Snapshot().Percentile(99); got != 0 {
		t.Errorf("empty histogram p99 = %v, want 0", got)
	}
	// 1 µs to 10 ms in 1 µs steps, plus one outlier of 2 s.
	for v := time.Microsecond; v <= 10*time.Millisecond; v += time.Microsecond {
		h.Record(v)
	}
	h.Record(2 * time.Second)
	h.Record(-time.Second) // counted as 0
	s := h.Snapshot()
	if s.N != 10002 {
		t.Errorf("N = %d, want 10002", s.N)
	}
	if s.Max != 2*time.Second {
		t.Errorf("Max = %v, want 2s", s.Max)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 5 * time.Millisecond},
		{90, 9 * time.Millisecond},
		{99, 9900 * time.Microsecond},
		{100, 2 * time.Second},
	} {
		got := s.Percentile(tc.p)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.02 {
			t.Errorf("Percentile(%g) = %v, want %v within 2%%", tc.p, got, tc.want)
		}
	}
	// Shards merge.
	sh := newShards(4)
	for i := range 1000 {
		sh.of(i).Record(time.Duration(i) * time.Millisecond)
	}
	m := sh.Snapshot()
	if m.N != 1000 || m.Max != 999*time.Millisecond {
		t.Errorf("merged shards: N %d max %v, want 1000 and 999ms", m.N, m.Max)
	}
	if p := m.Percentile(50); p < 495*time.Millisecond || p > 510*time.Millisecond {
		t.Errorf("merged p50 = %v, want about 500ms", p)
	}
}

// TestLedgerExactlyOnce: every line to every other reader of its room,
// once; what is missing, doubled, misdirected, stale or torn is counted
// as such.
func TestLedgerExactlyOnce(t *testing.T) {
	t.Parallel()
	start := time.Now()
	t0 := start.UnixNano()
	// Room 0: senders 0 and 1 and a plain reader; room 1: sender 2 and a reader.
	l := newLedger(start, []int{0, 0, 1}, []int{3, 2}, 1, false)
	s0 := l.addReceiver(0, 0, 0)
	s1 := l.addReceiver(0, 1, 0)
	r0 := l.addReceiver(0, -1, 0)
	s2 := l.addReceiver(1, 2, 0)
	r1 := l.addReceiver(1, -1, 0)
	for seq := range 100 {
		l.send(0, seq, t0+int64(seq))
		l.send(1, seq, t0+int64(seq))
	}
	l.send(2, 0, t0)
	if got, want := l.expected(), int64(100*2*2+1); got != want {
		t.Fatalf("expected() = %d, want %d", got, want)
	}
	for seq := range 100 {
		for _, r := range []*receiver{s1, r0} {
			if !l.saw(r, 0, seq, t0+int64(seq), t0+int64(seq)+1000) {
				t.Fatalf("first sight of 0/%d not first", seq)
			}
		}
		if seq != 7 { // s0 misses line 7 of sender 1
			l.saw(s0, 1, seq, t0+int64(seq), t0+int64(seq)+1000)
		}
		if seq < 90 { // r0 misses the last ten of sender 1
			l.saw(r0, 1, seq, t0+int64(seq), t0+int64(seq)+1000)
		}
	}
	if l.saw(r0, 0, 5, t0+5, t0+9999) {
		t.Errorf("second sight of 0/5 reported first")
	}
	l.saw(r0, 2, 0, t0, t0+1)      // sender 2 is in the other room: stray
	l.saw(s0, 0, 3, t0+3, t0+4)    // a sender's own line: stray
	l.saw(r0, 9, 0, t0, t0+1)      // no such sender: stray
	l.saw(r0, 0, 500, t0, t0+1)    // never sent: stray (no stamp)
	l.saw(r0, 1, 95, t0+1, t0+2)   // wrong stamp: stray in line mode
	l.saw(r1, 2, 0, t0-1000, t0+1) // before the run: stale
	if got := l.inflight(0); got != 0 {
		t.Errorf("inflight(0) = %d, want 0", got)
	}
	if got := l.inflight(1); got != 10 { // s0 has 99 of them, r0 the first 90
		t.Errorf("inflight(1) = %d, want 10", got)
	}
	got := l.tally()
	want := tally{Sent: 201, Expected: 401, Delivered: 200 + 99 + 90, Missing: 1 + 10 + 1,
		Duplicates: 1, Stray: 5, Stale: 1, MissingReceivers: 3}
	if got != want {
		t.Errorf("tally() = %+v\n             want %+v", got, want)
	}
	_ = s2
	if n := l.lat.Snapshot().N; n != uint64(want.Delivered) {
		t.Errorf("latencies recorded %d, want one per delivery %d", n, want.Delivered)
	}

	// With a pty, a line seen again is a redraw and a torn id is ignored.
	p := newLedger(start, []int{0}, []int{2}, 1, true)
	ps := p.addReceiver(0, 0, 0)
	pr := p.addReceiver(0, -1, 0)
	p.send(0, 0, t0)
	p.saw(pr, 0, 0, t0, t0+1)
	p.saw(pr, 0, 0, t0, t0+2)
	p.saw(pr, 0, 0, t0+7, t0+3)
	p.saw(ps, 0, 0, t0, t0+3) // the UI shows the sender its own line: not stray
	if got, want := p.tally(), (tally{Sent: 1, Expected: 1, Delivered: 1, Redraws: 1, Torn: 1}); got != want {
		t.Errorf("pty tally() = %+v, want %+v", got, want)
	}
}
