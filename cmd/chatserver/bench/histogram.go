package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear, as HDR histograms are: values below
// 2^histBits are counted exactly, and every power-of-two range above is cut
// into 2^(histBits-1) equal buckets, so a bucket is never wider than 1/64 of
// its values (1.6 %).
const (
	histBits    = 7
	histSub     = 1 << histBits
	histHalf    = histSub / 2
	histBuckets = histSub + (64-histBits)*histHalf
)

// Histogram counts durations. Record is safe from any goroutine and does
// not allocate; readers take a Snapshot. Many goroutines recording at once
// should each use their own Histogram (see shards) and merge snapshots.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
}

func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histBits // >= 1
	m := v >> e                   // in [histHalf, histSub)
	return histSub + (e-1)*histHalf + int(m-histHalf)
}

// bucketRange returns the smallest and largest value counted in bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < histSub {
		return uint64(i), uint64(i)
	}
	e := (i-histSub)/histHalf + 1
	m := uint64((i-histSub)%histHalf + histHalf)
	return m << e, (m+1)<<e - 1
}

// Record counts d; a negative d counts as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Snapshot is a histogram's counts at one moment.
type Snapshot struct {
	counts []uint64
	N      uint64
	Max    time.Duration
}

// Snapshot copies the counts. Values recorded meanwhile may or may not be in it.
func (h *Histogram) Snapshot() Snapshot {
	var s Snapshot
	s.add(h)
	return s
}

func (s *Snapshot) add(h *Histogram) {
	if s.counts == nil {
		s.counts = make([]uint64, histBuckets)
	}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] += c
		s.N += c
	}
	s.Max = max(s.Max, time.Duration(h.max.Load()))
}

// shards is a set of histograms that goroutine i records into shard i%len,
// so that readers on different cores rarely share a cache line.
type shards []Histogram

func newShards(n int) shards { return make(shards, n) }

func (sh shards) of(i int) *Histogram { return &sh[i%len(sh)] }

// Snapshot merges every shard.
func (sh shards) Snapshot() Snapshot {
	var s Snapshot
	for i := range sh {
		s.add(&sh[i])
	}
	if s.counts == nil {
		s.counts = make([]uint64, histBuckets)
	}
	return s
}

// Percentile returns the value below which p percent (0–100) of the
// recorded values fall: the upper end of the bucket that holds it, so it
// overstates by at most a bucket's width, and never exceeds Max.
func (s Snapshot) Percentile(p float64) time.Duration {
	if s.N == 0 {
		return 0
	}
	rank := uint64(p/100*float64(s.N) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > s.N {
		rank = s.N
	}
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(i)
			return min(time.Duration(hi), s.Max)
		}
	}
	return s.Max
}
