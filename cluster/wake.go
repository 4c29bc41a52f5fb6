package cluster

import (
	"context"
	"time"
)

// wake asks a goroutine for a run of its work at once (after a
// reconnect) rather than at its next tick; a request while one is
// pending is the same request. The zero value is not usable: newWake.
type wake chan struct{}

// newWake returns a wake with no request pending.
func newWake() wake { return make(wake, 1) }

// now asks for a run at once. It does not block.
func (w wake) now() {
	select {
	case w <- struct{}{}:
	default:
	}
}

// every calls run every period and at once after each now, until ctx is
// done.
func (w wake) every(ctx context.Context, period time.Duration, run func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w:
		}
		run()
	}
}
