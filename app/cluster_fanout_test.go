package app_test

import (
	"fmt"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
)

// TestClusterFanOutLocal: a node's fan-out stays local. Lines said on
// node a reach fifty members on node b, and node b's NATS connection
// receives a few messages per line (the stream's one copy for the node,
// and whatever else the cluster keeps up meanwhile), not one per member:
// a thousandth of the deliveries' count would be the naive design's.
func TestClusterFanOutLocal(t *testing.T) {
	t.Parallel()
	const members, lines = 50, 20
	c := clustertest.Start(t, 3)
	a := startNode(t, c, "a", time.Minute) // names refreshed every 20 s: not within the count
	b := startNode(t, c, "b", time.Minute)
	sender := apptest.Login(t, a.Telnet, "sender")
	var listeners []*apptest.Client
	for i := range members {
		listeners = append(listeners, apptest.Login(t, b.Telnet, fmt.Sprintf("m%02d", i)))
	}
	last := fmt.Sprintf("m%02d", members-1)
	// Every join line has come through the stream: the logins are over.
	// The last listener read their own at login.
	sender.Until(joinLine(last))
	for _, l := range listeners[:members-1] {
		l.Until(joinLine(last))
	}

	before := b.App.NATSInMsgs()
	for i := range lines {
		sender.Send(fmt.Sprintf("line %d", i))
	}
	for _, l := range listeners {
		l.Until(fmt.Sprintf("<sender> line %d", lines-1))
	}
	got := b.App.NATSInMsgs() - before
	if limit := uint64(4*lines + members); got < lines || got > limit {
		t.Fatalf("node b received %d NATS messages for %d lines to %d of its members, want between %d and %d (one per line, not per member)",
			got, lines, members, lines, limit)
	}
	t.Logf("node b: %d NATS messages for %d lines delivered to %d members (%d deliveries)", got, lines, members, lines*members)
}
