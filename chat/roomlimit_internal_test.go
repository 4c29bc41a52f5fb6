package chat

import (
	"strconv"
	"testing"
	"time"
)

func TestAddrKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10.1.2.3:4567", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:1", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:22", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:8999", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:22", "fe80::/64"},
		{"", ""},
		{"pipe", "pipe"},
	}
	for _, tc := range tests {
		if got := addrKey(tc.in); got != tc.want {
			t.Errorf("addrKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRecentTimesBounded: each table holds at most maxCreators keys, at
// most per times a key, and forgets what left the window.
func TestRecentTimesBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	r := newRecentTimes(3)
	for i := range 2 * maxCreators {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		r.add("k"+strconv.Itoa(i), now)
		r.add("same", now)
		if len(r.times) > maxCreators {
			t.Fatalf("%d keys after %d adds, want at most %d", len(r.times), i+1, maxCreators)
		}
	}
	if got := len(r.times["same"]); got != 3 {
		t.Errorf("a key added to all along keeps %d times, want 3", got)
	}
	last := "k" + strconv.Itoa(2*maxCreators-1)
	if !r.full("same", t0.Add(time.Minute)) || r.full(last, t0.Add(time.Minute)) {
		t.Errorf("full: same %v, %s %v; want true, false", r.full("same", t0.Add(time.Minute)), last, r.full(last, t0.Add(time.Minute)))
	}
	later := t0.Add(2 * roomWindow)
	r.add("new", later)
	r.prune(later)
	if len(r.times) != 1 {
		t.Errorf("%d keys an hour after the last add, want 1", len(r.times))
	}
	off := newRecentTimes(0)
	off.add("k", t0)
	if off.full("k", t0) || len(off.times) != 0 {
		t.Errorf("a table with no limit keeps %d keys", len(off.times))
	}
}
