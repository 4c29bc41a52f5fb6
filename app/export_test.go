package app

import "time"

// SetSlowEvery sets how often Run looks at the slow-client counts; call it
// before Run.
func (a *App) SetSlowEvery(d time.Duration) { a.slowEvery = d }

// ParseOperators is parseOperators, for the tests of package app_test.
var ParseOperators = parseOperators

// CutNATS closes the node's NATS connection without letting go of
// anything: for the other nodes the node is dead (kill -9's stand-in).
func (a *App) CutNATS() { a.node.nc.Close() }

// NATSInMsgs is how many messages the node's NATS connection has
// received so far.
func (a *App) NATSInMsgs() uint64 { return a.node.nc.Stats().InMsgs }
