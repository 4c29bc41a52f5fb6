package app_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
)

// startLinesNode starts the chatserver node called name on c, with its
// data in dir (a fresh one if ""), flood control off, and each of more
// applied to its configuration.
func startLinesNode(t *testing.T, c *clustertest.Cluster, name, dir string, more ...func(*app.Config)) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	if dir != "" {
		cfg.DataDir = dir
	}
	cfg.FloodRate = 0
	cfg.NATS = app.NATS{URLs: c.URLs(), Node: name, NameTTL: 2 * time.Second}
	for _, f := range more {
		f(&cfg)
	}
	return apptest.Start(t, cfg)
}

// said returns the users' messages among lines (those of senders' names
// starting with "s", not the system's), in order.
func said(lines []string) []string {
	var out []string
	for _, l := range lines {
		if (strings.HasPrefix(l, "<s") && !strings.HasPrefix(l, "<system> ")) || strings.HasPrefix(l, "* s") {
			out = append(out, l)
		}
	}
	return out
}

// collect reads u's lines until it has seen n messages (said), failing
// after apptest.Wait without one.
func collect(u *apptest.Client, n int) []string {
	var got []string
	for len(got) < n {
		if l := u.Next(); len(said([]string{l})) == 1 {
			got = append(got, l)
		}
	}
	return got
}

// TestClusterLinesOrder: three senders on three nodes say 30 lines each
// at once; every member on every node gets every line once, all in one
// order (a sender all but their own lines), and a plugin's join line of a
// user on one node reaches the others.
func TestClusterLinesOrder(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	talk(t, c, nil)
}

// TestClusterLinesServerLost: one NATS server of three shuts down in the
// middle of the conversation; no line is lost or doubled.
func TestClusterLinesServerLost(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	talk(t, c, func() { c.Shutdown(0) })
}

// talk runs TestClusterLinesOrder's conversation on c, calling midway
// (if not nil) once every sender said half of their lines.
func talk(t *testing.T, c *clustertest.Cluster, midway func()) {
	t.Helper()
	nodes := []*apptest.Server{startLinesNode(t, c, "a", ""), startLinesNode(t, c, "b", ""), startLinesNode(t, c, "c", "")}
	var senders, watchers []*apptest.Client
	for i, n := range nodes {
		w := apptest.Login(t, n.Telnet, fmt.Sprintf("w%d", i))
		for _, o := range watchers { // the join line of a user on another node
			o.Until(fmt.Sprintf("<helperbot> w%d has joined the chat room!", i))
		}
		watchers = append(watchers, w)
	}
	for i, n := range nodes {
		senders = append(senders, apptest.Login(t, n.Telnet, fmt.Sprintf("s%d", i)))
	}
	const each = 30
	send := func(from, to int) {
		var wg sync.WaitGroup
		for i, s := range senders {
			wg.Go(func() {
				for k := from; k < to; k++ {
					if k%10 == 9 {
						s.Send(fmt.Sprintf("/me waves %d", k))
					} else {
						s.Send(fmt.Sprintf("line %d of s%d", k, i))
					}
				}
			})
		}
		wg.Wait()
	}
	send(0, each/2)
	if midway != nil {
		midway()
	}
	send(each/2, each)
	var want []string
	for i, w := range watchers {
		got := collect(w, 3*each)
		if i == 0 {
			want = got
			for k := range senders {
				if n := len(slices.DeleteFunc(slices.Clone(got), func(l string) bool {
					return !strings.HasPrefix(l, fmt.Sprintf("<s%d>", k)) && !strings.HasPrefix(l, fmt.Sprintf("* s%d ", k))
				})); n != each {
					t.Fatalf("w0 got %d lines of s%d, want %d: %q", n, k, each, got)
				}
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("w%d's lines differ from w0's:\n%q\n%q", i, got, want)
		}
	}
	for i, s := range senders {
		own := fmt.Sprintf("s%d", i)
		wantS := slices.DeleteFunc(slices.Clone(want), func(l string) bool {
			return strings.HasPrefix(l, "<"+own+">") || strings.HasPrefix(l, "* "+own+" ")
		})
		if got := collect(s, len(wantS)); !slices.Equal(got, wantS) {
			t.Fatalf("%s's lines differ from w0's less its own:\n%q\n%q", own, got, wantS)
		}
		if rest := said(s.Sync()); len(rest) > 0 {
			t.Fatalf("%s got more lines: %q", own, rest)
		}
	}
}

// TestClusterLinesHistory: lines said before a node started are in its
// users' /history; after every node restarted on its data, they still are.
func TestClusterLinesHistory(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	dirA := t.TempDir()
	a := startLinesNode(t, c, "a", dirA)
	s := apptest.Login(t, a.Telnet, "sam")
	for k := range 3 {
		s.Send(fmt.Sprintf("note %d", k))
	}
	expectNotes(t, s, "sam's")
	dirC := t.TempDir()
	nc := startLinesNode(t, c, "c", dirC)
	carl := apptest.Login(t, nc.Telnet, "carl")
	expectNotes(t, carl, "on a node started later, carl's")
	s.Send("/leave")
	s.Closed()
	carl.Send("/leave")
	carl.Closed()
	a.Stop(t)
	nc.Stop(t)
	for i, dir := range []string{dirA, dirC} {
		n := startLinesNode(t, c, fmt.Sprintf("r%d", i), dir)
		u := apptest.Login(t, n.Telnet, "dora")
		expectNotes(t, u, "after a restart, dora's")
		u.Send("/leave")
		u.Closed()
		n.Stop(t)
	}
}

// expectNotes fails the test unless u's /history is sam's three notes.
func expectNotes(t *testing.T, u *apptest.Client, whose string) {
	t.Helper()
	u.Send("/history")
	for k := range 3 {
		if l := u.Next(); !strings.HasSuffix(l, fmt.Sprintf("<sam> note %d", k)) {
			t.Fatalf("%s /history line %d = %q, want sam's note %d", whose, k, l, k)
		}
	}
}

// nextLine is u's next line but the join lines, which come through the
// stream whenever they come.
func nextLine(u *apptest.Client) string {
	for {
		if l := u.Next(); !strings.HasSuffix(l, " has joined the chat room!") {
			return l
		}
	}
}

// usersOf returns what u's /users lists, join and leave lines aside.
func usersOf(u *apptest.Client) []string {
	u.Send("/users")
	u.Until("<helperbot> Current online users:")
	var out []string
	for _, l := range u.Sync() {
		if !strings.HasSuffix(l, " the chat room!") {
			out = append(out, l)
		}
	}
	return out
}

// eventuallyUsers waits until u's /users lists want.
func eventuallyUsers(t *testing.T, u *apptest.Client, want ...string) {
	t.Helper()
	got := eventuallyUsersLike(t, u, func(got []string) bool { return slices.Equal(got, want) })
	if !slices.Equal(got, want) {
		t.Fatalf("/users = %q, want %q", got, want)
	}
}

// eventuallyUsersLike asks u's /users until ok holds for what it lists,
// and returns that (or the last listing, once apptest.Wait passed). It
// asks at most twice a second: two lines a time, within flood control.
func eventuallyUsersLike(t *testing.T, u *apptest.Client, ok func([]string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(apptest.Wait)
	for {
		got := usersOf(u)
		if ok(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(500 * time.Millisecond) // the roster comes through the stream
	}
}

// TestClusterUsers: /users on every node lists the room's members on
// every node, in the order they entered; /switch and /leave on one node
// change it on the others, which get the leave line.
func TestClusterUsers(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := []*apptest.Server{startLinesNode(t, c, "a", ""), startLinesNode(t, c, "b", "")}
	anna := apptest.Login(t, nodes[0].Telnet, "anna")
	eventuallyUsers(t, anna, "<helperbot> 1. anna")
	bob := apptest.Login(t, nodes[1].Telnet, "bob")
	carl := apptest.Login(t, nodes[0].Telnet, "carl")
	all := []string{"<helperbot> 1. anna", "<helperbot> 2. bob", "<helperbot> 3. carl"}
	for _, u := range []*apptest.Client{anna, bob, carl} {
		eventuallyUsers(t, u, all...)
	}
	bob.Send("/switch lounge")
	bob.Until("<system> Switched to room 'lounge'")
	anna.Until("<helperbot> bob has left the chat room!")
	carl.Until("<helperbot> bob has left the chat room!")
	eventuallyUsers(t, anna, "<helperbot> 1. anna", "<helperbot> 2. carl")
	eventuallyUsers(t, bob, "<helperbot> 1. bob (admin)")
	bob.Send("/switch chat")
	bob.Until("<system> Switched to room 'chat'")
	anna.Until("<helperbot> bob has joined the chat room!")
	anna.Send("/leave")
	anna.Closed()
	bob.Until("<helperbot> anna has left the chat room!")
	eventuallyUsers(t, bob, "<helperbot> 1. carl", "<helperbot> 2. bob")
	eventuallyUsers(t, carl, "<helperbot> 1. carl", "<helperbot> 2. bob")
}

// TestClusterNodeDies: a node's connection to NATS is cut without it
// letting go of anything (kill -9's stand-in): its users leave the other
// node's /users, with one leave line each, once their names' TTL ran out,
// and their names are free again.
func TestClusterNodeDies(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := []*apptest.Server{startLinesNode(t, c, "a", ""), startLinesNode(t, c, "b", "")}
	anna := apptest.Login(t, nodes[0].Telnet, "anna")
	bob := apptest.Login(t, nodes[1].Telnet, "bob")
	eventuallyUsers(t, anna, "<helperbot> 1. anna", "<helperbot> 2. bob")
	eventuallyUsers(t, bob, "<helperbot> 1. anna", "<helperbot> 2. bob")
	nodes[0].App.CutNATS()
	bob.Until("<helperbot> anna has left the chat room!")
	apptest.Eventually(t, "anna out of bob's /users", func() bool {
		bob.Send("/users")
		lines := bob.Sync()
		if slices.Contains(lines, "<helperbot> anna has left the chat room!") {
			t.Fatalf("a second leave line of anna: %q", lines)
		}
		return slices.Equal(lines, []string{"<helperbot> Current online users:", "<helperbot> 1. bob"})
	})
	apptest.Login(t, nodes[1].Telnet, "anna")
}
