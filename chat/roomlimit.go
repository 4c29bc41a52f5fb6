package chat

import (
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// roomWindow is the sliding window of Config.RoomsPerHour.
const roomWindow = time.Hour

// maxCreators bounds each table of a creationLimit: names, and source
// addresses, that created a room within the window. Past it the entries
// whose last rooms are the oldest are forgotten.
const maxCreators = 4096

// creationLimit counts the rooms created lately per user name and per
// source address, so that one client cannot claim the room table for
// itself. Safe for concurrent use.
type creationLimit struct {
	mu     sync.Mutex
	byName recentTimes
	byAddr recentTimes
}

func newCreationLimit(perHour int) *creationLimit {
	return &creationLimit{byName: newRecentTimes(perHour), byAddr: newRecentTimes(perHour)}
}

// allow reports whether the user whose folded name is name, connected from
// addr (host:port, "" if unknown), may create a room at now.
func (l *creationLimit) allow(now time.Time, name, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.byName.full(name, now) && !l.byAddr.full(addrKey(addr), now)
}

// add counts a room created at now by name from addr.
func (l *creationLimit) add(now time.Time, name, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byName.add(name, now)
	l.byAddr.add(addrKey(addr), now)
}

// addrKey is the part of a remote address one client controls: its host,
// or its /64 for IPv6 (one machine commonly has a whole /64). "" for an
// unknown address, which is not limited.
func addrKey(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// recentTimes keeps, per key, the times of the last per events within
// its window (roomWindow unless made with newRecentTimesIn), for at most
// maxCreators keys. Not safe for concurrent use.
type recentTimes struct {
	per    int // events a window per key; 0: no limit, nothing kept
	window time.Duration
	times  map[string][]time.Time
}

func newRecentTimes(per int) recentTimes { return newRecentTimesIn(per, roomWindow) }

// newRecentTimesIn returns a table of per events per key within window.
func newRecentTimesIn(per int, window time.Duration) recentTimes {
	return recentTimes{per: max(per, 0), window: window, times: map[string][]time.Time{}}
}

// full reports whether key had per events within the window before now.
func (r *recentTimes) full(key string, now time.Time) bool {
	return r.per > 0 && key != "" && len(r.live(key, now)) >= r.per
}

// add counts an event of key at now.
func (r *recentTimes) add(key string, now time.Time) {
	if r.per == 0 || key == "" {
		return
	}
	ts := append(r.live(key, now), now)
	if len(ts) > r.per {
		ts = append(ts[:0], ts[len(ts)-r.per:]...)
	}
	r.times[key] = ts
	if len(r.times) > maxCreators {
		r.prune(now)
	}
}

// remove takes back an event of key counted at at, if it is still there.
func (r *recentTimes) remove(key string, at time.Time) {
	ts := r.times[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			ts = slices.Delete(ts, i, i+1)
			break
		}
	}
	if len(ts) == 0 {
		delete(r.times, key)
		return
	}
	r.times[key] = ts
}

// live returns key's times within the window, forgetting older ones.
func (r *recentTimes) live(key string, now time.Time) []time.Time {
	ts := r.times[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= r.window {
		i++
	}
	switch {
	case i == len(ts):
		delete(r.times, key)
		return nil
	case i > 0:
		ts = append(ts[:0], ts[i:]...)
		r.times[key] = ts
	}
	return ts
}

// prune forgets every key with no event in the window, then, if there are
// still too many, the quarter of them whose last events are the oldest, so
// that a table full of live keys costs one sort every maxCreators/4 adds.
func (r *recentTimes) prune(now time.Time) {
	for key := range r.times {
		r.live(key, now)
	}
	if len(r.times) <= maxCreators {
		return
	}
	keys := slices.Collect(maps.Keys(r.times))
	slices.SortFunc(keys, func(a, b string) int {
		return r.times[a][len(r.times[a])-1].Compare(r.times[b][len(r.times[b])-1])
	})
	for _, key := range keys[:len(keys)-maxCreators*3/4] {
		delete(r.times, key)
	}
}
