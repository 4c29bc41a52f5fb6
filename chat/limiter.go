package chat

import "time"

// Default flood limits: a burst of 20 lines, then 5 lines a second.
const (
	DefaultFloodBurst = 20
	DefaultFloodRate  = 5.0
)

// Limiter is a token bucket counting the lines one connection sends. It is
// owned by that connection's reader and is not safe for concurrent use.
type Limiter struct {
	burst      float64
	rate       float64 // tokens a second; <= 0 means no limit
	tokens     float64
	last       time.Time
	lastNotice time.Time
}

// NewLimiter returns a limiter allowing a burst of burst lines, then rate
// lines a second. A rate of 0 or less turns flood control off.
func NewLimiter(burst int, rate float64) *Limiter {
	return &Limiter{burst: float64(burst), rate: rate, tokens: float64(burst)}
}

// Allow counts one line at now. It reports whether the line may be handled
// and, when it may not, whether the sender should be told (at most once a
// second).
func (l *Limiter) Allow(now time.Time) (ok, notify bool) {
	if l == nil || l.rate <= 0 {
		return true, false
	}
	if !l.last.IsZero() {
		l.tokens += now.Sub(l.last).Seconds() * l.rate
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, false
	}
	if now.Sub(l.lastNotice) >= time.Second {
		l.lastNotice = now
		return false, true
	}
	return false, false
}
