package chat

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// RefusalReasons are the reasons Stats counts refused logins by, in the
// order of Stats.Refused: the metrics' label values.
var RefusalReasons = [...]string{
	"name_invalid", "name_reserved", "name_taken", "name_owned", "too_many_names",
	"wrong_password", "too_many_attempts", "server_banned", "shutdown", "replaced", "other",
}

// refusalErrs are the errors of each of RefusalReasons but the last,
// "other".
var refusalErrs = [len(RefusalReasons) - 1][]error{
	{ErrNameTooLong, ErrNameInvalid}, {ErrNameReserved}, {ErrNameTaken}, {ErrNameOwned}, {ErrTooManyNames},
	{ErrWrongPassword}, {ErrTooManyAttempts}, {ErrServerBanned}, {ErrShutdown}, {ErrReplaced},
}

// refusalReason returns the index in RefusalReasons of a login refused
// with err.
func refusalReason(err error) int {
	for i, errs := range refusalErrs {
		for _, e := range errs {
			if errors.Is(err, e) {
				return i
			}
		}
	}
	return len(refusalErrs)
}

// Stats counts what the engine and the doors did, for metrics: logins and
// refusals, messages said and their deliveries, lines dropped by flood
// control. The counts only grow. Each is one atomic add where it happens:
// no lock, nothing on the fan-out but one add per message. Safe for
// concurrent use.
type Stats struct {
	logins     atomic.Uint64
	refused    [len(RefusalReasons)]atomic.Uint64
	messages   atomic.Uint64
	deliveries atomic.Uint64
	floodDrops atomic.Uint64
}

// Logins returns how many logins succeeded.
func (s *Stats) Logins() uint64 { return s.logins.Load() }

// Refused returns how many logins were refused for RefusalReasons[i].
func (s *Stats) Refused(i int) uint64 { return s.refused[i].Load() }

// Messages returns how many room messages (and actions) were said.
func (s *Stats) Messages() uint64 { return s.messages.Load() }

// Deliveries returns how many times a room message was queued for a member.
func (s *Stats) Deliveries() uint64 { return s.deliveries.Load() }

// FloodDrops returns how many lines flood control dropped.
func (s *Stats) FloodDrops() uint64 { return s.floodDrops.Load() }

// CountFloodDrop counts a line flood control dropped; the doors call it.
func (s *Stats) CountFloodDrop() { s.floodDrops.Add(1) }

// countRefusal counts a login refused with err: by Login, or by
// CheckPassword before it.
func (s *Stats) countRefusal(err error) { s.refused[refusalReason(err)].Add(1) }

// Stats returns the hub's counters.
func (h *Hub) Stats() *Stats { return &h.stats }

// Login logs a user in (see login) and counts the login or its refusal.
func (h *Hub) Login(ctx context.Context, name string, opt LoginOptions) (*Session, error) {
	s, err := h.login(ctx, name, opt)
	if err != nil {
		h.stats.countRefusal(err)
		return nil, err
	}
	h.stats.logins.Add(1)
	return s, nil
}

// fanOutTimer starts timing a message's fan-out: the zero time when
// nobody observes it (Config.ObserveFanOut), so that costs nothing then.
func (h *Hub) fanOutTimer() time.Time {
	if h.observeFanOut == nil {
		return time.Time{}
	}
	return time.Now()
}

// fannedOut counts a message queued for n members and observes how long
// it took from t0 (fanOutTimer) to the end of its fan-out, its writers
// woken.
func (h *Hub) fannedOut(t0 time.Time, n int) {
	h.stats.messages.Add(1)
	h.stats.deliveries.Add(uint64(n))
	if h.observeFanOut != nil {
		h.observeFanOut(time.Since(t0))
	}
}

// OnlineByDoor returns how many users are logged in through each door,
// by the door's name (LoginOptions.Door). It takes the hub's read lock
// briefly: for a scrape, not for a hot path.
func (h *Hub) OnlineByDoor() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := map[string]int{}
	for _, s := range h.users {
		n[s.door]++
	}
	return n
}
