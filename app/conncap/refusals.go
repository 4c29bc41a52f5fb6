package conncap

import (
	"log/slog"
	"sync"
	"time"
)

// Refusals logs the connections a door refuses for being over its caps:
// the first at once, then at most one line every 10 s, counting those
// refused since the line before. A flood of connections from a few
// hundred addresses so costs the log a line every 10 s, not a line a
// connection. Safe for concurrent use.
type Refusals struct {
	door string
	log  *slog.Logger

	mu       sync.Mutex
	unlogged int       // refusals no line has counted yet
	lastLine time.Time // when the last line was logged
}

// NewRefusals returns the refusal log of door ("telnet", "ssh").
func NewRefusals(door string, log *slog.Logger) *Refusals {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Refusals{door: door, log: log}
}

// Refused counts a connection from addr refused over the caps, and logs
// it with those not yet logged when a line is due.
func (r *Refusals) Refused(addr string) {
	r.mu.Lock()
	r.unlogged++
	now := time.Now()
	if now.Sub(r.lastLine) < logEvery {
		r.mu.Unlock()
		return
	}
	n := r.unlogged
	r.unlogged, r.lastLine = 0, now
	r.mu.Unlock()
	r.log.Warn("connections refused", "door", r.door, "reason", "too many connections", "count", n, "last_addr", addr)
}
