package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// startNodes starts n chatserver nodes joined to the NATS cluster c, with
// names that outlive their node by ttl.
func startNodes(t *testing.T, c *clustertest.Cluster, n int, ttl time.Duration) []*apptest.Server {
	t.Helper()
	nodes := make([]*apptest.Server, n)
	for i := range nodes {
		nodes[i] = startNode(t, c, string(rune('a'+i)), ttl)
	}
	return nodes
}

// startNode starts the chatserver node called name, joined to c.
func startNode(t *testing.T, c *clustertest.Cluster, name string, ttl time.Duration) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.NATS = app.NATS{URLs: c.URLs(), Node: name, NameTTL: ttl}
	return apptest.Start(t, cfg)
}

// TestClusterNameRace: two telnet users on two nodes of one cluster race
// for one name: exactly one gets in, the other is told the name is taken
// and may type another; once the winner leaves, the loser gets the name,
// and an SSH login of it on the other node is refused with the same line.
func TestClusterNameRace(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	users := []*apptest.Client{apptest.Dial(t, nodes[0].Telnet), apptest.Dial(t, nodes[1].Telnet)}
	for _, u := range users {
		u.Welcome()
	}
	for _, u := range users {
		u.Send("anna")
	}
	taken := "<system> " + chat.RefusalText(chat.ErrNameTaken)
	var winner, loser *apptest.Client
	for _, u := range users {
		switch l := u.Next(); l {
		case "<system> Logging in as anna":
			winner = u
		case taken:
			loser = u
		default:
			t.Fatalf("answer to the name = %q, want the login line or %q", l, taken)
		}
	}
	if winner == nil || loser == nil {
		t.Fatalf("both users got the same answer to anna, want exactly one in")
	}

	winner.Send("/leave")
	winner.Closed()
	deadline := time.Now().Add(apptest.Wait)
	for {
		loser.Send("anna")
		l := loser.Next()
		if l == "<system> Logging in as anna" {
			break
		}
		if l != taken || time.Now().After(deadline) {
			t.Fatalf("answer to anna once the winner left = %q, want the login line", l)
		}
		time.Sleep(100 * time.Millisecond) // the winner's node lets go of the name after the connection closes
	}

	other := nodes[0] // the node the loser is not on
	if loser == users[0] {
		other = nodes[1]
	}
	apptest.DialSSHLines(t, other.SSH, "ANNA", apptest.NewKey(t)).ExpectClosed("<system> Welcome to the chat room!", taken)
}

// TestClusterUnreachable: a node whose NATS servers cannot be reached
// fails to start, with an error that says so (naming the servers, but not
// a password or token in their URLs: serve prints it, logs keep it), and
// leaves its data folder free.
func TestClusterUnreachable(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.NATS = app.NATS{URLs: []string{"nats://127.0.0.1:1"}, Node: "a"}
	if err := newFails(t, cfg); !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Fatalf("app.New with NATS out of reach = %v, want an error naming it", err)
	}
	cfg.NATS = app.NATS{URLs: []string{"nats://chat:hunter2@127.0.0.1:1", "nats://s3cr3ttoken@127.0.0.1:2"}, Node: "a"}
	if err := newFails(t, cfg); strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cr3ttoken") ||
		!strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("app.New with NATS out of reach = %v, want an error naming the servers, not their passwords or tokens", err)
	}
	cfg.NATS = app.NATS{}
	startAndStop(t, cfg) // as a single node on the same folder
}

// TestClusterNameLost: a node whose hold of a name lapsed (as when it is
// cut off from NATS longer than the names' TTL; here the key is purged
// behind its back) and another node's login took the name meanwhile logs
// its own user of the name out at its next heartbeat, with the taken line:
// never two users of one name online.
func TestClusterNameLost(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	onA := apptest.Login(t, nodes[0].Telnet, "anna")

	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatalf("names bucket: %v", err)
	}
	// Node a's next heartbeat finds the key gone and takes it again if
	// it is still free: node b's login tries again (purging it again)
	// until it is first.
	onB := apptest.Dial(t, nodes[1].Telnet)
	onB.Welcome()
	deadline := time.Now().Add(apptest.Wait)
	for {
		if err := kv.Purge(t.Context(), cluster.Key(chat.Fold("anna"))); err != nil {
			t.Fatalf("purge anna's key: %v", err)
		}
		onB.Send("anna")
		l := onB.Next()
		if l == "<system> Logging in as anna" {
			break
		}
		if l != "<system> "+chat.RefusalText(chat.ErrNameTaken) || time.Now().After(deadline) {
			t.Fatalf("node b's login of anna once purged = %q, want the login line", l)
		}
	}

	onA.Until("<system> " + chat.RefusalText(chat.ErrNameTaken))
	onA.Closed()
}

// TestClusterRooms: users on two nodes create one new room at once:
// exactly one of them is its creator (its admin in /users on their node);
// a room created on one node is then in /rooms on the other, and in the
// first /rooms of a node started later.
func TestClusterRooms(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	users := []*apptest.Client{apptest.Login(t, nodes[0].Telnet, "anna"), apptest.Login(t, nodes[1].Telnet, "bob")}
	for _, u := range users {
		u.Send("/switch lounge")
	}
	var first []string
	for _, u := range users {
		u.Until("<system> Switched to room 'lounge'") // after the other node's join line, if any
		// Both are in lounge's /users on every node (slice 4), in one
		// order, its creator alone an admin.
		got := eventuallyUsersLike(t, u, func(got []string) bool { return len(got) == 2 })
		if n := len(slices.DeleteFunc(slices.Clone(got), func(l string) bool { return !strings.HasSuffix(l, " (admin)") })); n != 1 {
			t.Fatalf("lounge's /users = %q, want exactly one admin", got)
		}
		if first != nil && !slices.Equal(got, first) {
			t.Fatalf("lounge's /users = %q on one node, %q on the other", first, got)
		}
		first = got
	}

	anna, bob := users[0], users[1]
	anna.Send("/switch pub")
	anna.Until("<system> Switched to room 'pub'")
	deadline := time.Now().Add(apptest.Wait)
	for {
		bob.Send("/rooms")
		lines := bob.Sync()
		if slices.Contains(lines, "<helperbot> 3. pub") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's /rooms = %q, want pub, created on anna's node, in it", lines)
		}
		time.Sleep(100 * time.Millisecond) // the room comes through node B's watcher
	}

	carl := apptest.Login(t, startNode(t, c, "c", 2*time.Second).Telnet, "carl")
	carl.Send("/rooms")
	if lines := carl.Sync(); !slices.Contains(lines, "<helperbot> 3. pub") {
		t.Errorf("/rooms on a node started later = %q, want pub in it", lines)
	}
}
