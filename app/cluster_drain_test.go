package app_test

import (
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster/clustertest"
)

// drainTTL is the names' time to live in TestClusterDrain: far longer
// than apptest.Wait, so that a leave line seen within the wait came from
// the node's drain, not from its names running out.
const drainTTL = time.Minute

// TestClusterDrain: a node stopped cleanly (App shutdown, as on SIGTERM:
// how an operator drains a node) tells its users the server is shutting
// down; the members of their rooms on the other nodes get one leave line
// each at once, well before the names' time to live, the users are gone
// from /users there, and their names are free on the other nodes at once.
func TestClusterDrain(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	start := func(name string) *apptest.Server {
		cfg := apptest.Config(t)
		cfg.NATS = app.NATS{URLs: c.URLs(), Node: name, NameTTL: drainTTL}
		return apptest.Start(t, cfg)
	}
	a, b := start("a"), start("b")
	bob := apptest.Login(t, b.Telnet, "bob")
	anna := apptest.Login(t, a.Telnet, "anna")
	dora := apptest.LoginSSH(t, a.SSH, "dora", apptest.NewKey(t))
	bob.Until(joinLine("anna"))
	bob.Until(joinLine("dora"))
	eventuallyUsers(t, bob, "<helperbot> 1. bob", "<helperbot> 2. anna", "<helperbot> 3. dora")

	stopped := time.Now()
	a.Stop(t)
	for _, u := range []*apptest.Client{anna, dora.Client} {
		u.Until("<system> " + chat.TextShutdown)
		u.Closed()
	}
	left := map[string]int{}
	for len(left) < 2 {
		switch l := bob.Next(); l {
		case leaveLine("anna"):
			left["anna"]++
		case leaveLine("dora"):
			left["dora"]++
		default:
			t.Fatalf("bob got %q while node a drained, want anna's and dora's leave lines", l)
		}
	}
	t.Logf("leave lines on node b %v after node a was told to stop", time.Since(stopped).Round(time.Millisecond))
	eventuallyUsers(t, bob, "<helperbot> 1. bob")
	if rest := bob.Sync(); len(rest) > 0 {
		t.Fatalf("bob got more after the leave lines: %q", rest)
	}
	apptest.Login(t, b.Telnet, "anna") // free at once, not after drainTTL
}
