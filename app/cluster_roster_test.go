package app_test

import (
	"fmt"
	"slices"
	"testing"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
)

// startRosterNode is startLinesNode with 5 lines kept per room: fewer
// than the roster events TestClusterRoster makes.
func startRosterNode(t *testing.T, c *clustertest.Cluster, name, dir string) *apptest.Server {
	t.Helper()
	return startLinesNode(t, c, name, dir, func(cfg *app.Config) { cfg.HistoryPerRoom = 5 })
}

// usersListing is what /users shows for names, in that order, below its
// first line (usersOf).
func usersListing(names ...string) []string {
	var out []string
	for i, n := range names {
		out = append(out, fmt.Sprintf("<helperbot> %d. %s", i+1, n))
	}
	return out
}

// TestClusterRoster: in a room where users came and went many more times
// than the lines kept per room, a node started later lists exactly the
// members there are, in the order they entered, as the first node does;
// after both nodes died (kill -9's stand-in) and started again on their
// data within the names' time to live, neither lists the dead sessions:
// only the users who came back, in their new order, the same on both.
func TestClusterRoster(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startRosterNode(t, c, "a", dirA)
	var stay []*apptest.Client
	for i := range 15 { // k1, 4 come and go, k2, 4 more, k3, 4 more
		if i%5 == 0 {
			stay = append(stay, apptest.Login(t, a.Telnet, fmt.Sprintf("k%d", i/5+1)))
			continue
		}
		x := apptest.Login(t, a.Telnet, fmt.Sprintf("x%d", i))
		x.Send("/leave")
		x.Closed()
	}
	b := startRosterNode(t, c, "b", dirB)
	bea := apptest.Login(t, b.Telnet, "bea")
	want := usersListing("k1", "k2", "k3", "bea")
	eventuallyUsers(t, bea, want...)
	eventuallyUsers(t, stay[0], want...)
	for _, u := range stay {
		if got := usersOf(u); !slices.Equal(got, want) {
			t.Fatalf("%s's /users = %q, want %q", u.Conn.LocalAddr(), got, want)
		}
	}

	a.App.CutNATS() // both die, their sessions' entries still in the stream
	b.App.CutNATS()
	a.Stop(t)
	b.Stop(t)
	a = startRosterNode(t, c, "a", dirA)
	b = startRosterNode(t, c, "b", dirB)
	pia := apptest.Login(t, b.Telnet, "pia")
	eventuallyUsers(t, pia, "<helperbot> 1. pia")
	ole := apptest.Login(t, a.Telnet, "ole")
	want = usersListing("pia", "ole")
	eventuallyUsers(t, ole, want...)
	eventuallyUsers(t, pia, want...)
}
