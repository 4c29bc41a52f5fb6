package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// openNames opens the names bucket for node over a connection of its own
// to the server-th server, as a node connected there would.
func openNames(t *testing.T, c *clustertest.Cluster, node string, server int) *cluster.Names {
	t.Helper()
	return openNamesTTL(t, c, node, server, 0)
}

// openNode joins node to the cluster c over a connection of its own to
// the server-th server, names held without a TTL.
func openNode(t *testing.T, c *clustertest.Cluster, node string, server int) *cluster.Node {
	t.Helper()
	n, err := cluster.OpenNode(t.Context(), connectTo(t, c, node, server), cluster.NodeConfig{Node: node})
	if err != nil {
		t.Fatalf("OpenNode %s: %v", node, err)
	}
	return n
}

// connectTo connects node to the server-th server of c.
func connectTo(t *testing.T, c *clustertest.Cluster, node string, server int) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(c.Server(server).ClientURL())
	if err != nil {
		t.Fatalf("connect %s: %v", node, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream %s: %v", node, err)
	}
	return js
}

// openNamesTTL is openNames with names that expire ttl after their last
// refresh (0: never).
func openNamesTTL(t *testing.T, c *clustertest.Cluster, node string, server int, ttl time.Duration) *cluster.Names {
	t.Helper()
	n, err := cluster.OpenNames(t.Context(), connectTo(t, c, node, server), cluster.NamesConfig{Node: node, TTL: ttl})
	if err != nil {
		t.Fatalf("OpenNames %s: %v", node, err)
	}
	return n
}

// race runs f(0) … f(n-1) at once and returns the i whose f returned
// nil; an error that does not wrap lost fails the test.
func race(t *testing.T, n int, lost error, f func(i int) error) []int {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		won []int
	)
	for i := range n {
		wg.Go(func() {
			switch err := f(i); {
			case err == nil:
				mu.Lock()
				won = append(won, i)
				mu.Unlock()
			case !errors.Is(err, lost):
				t.Errorf("racer %d: %v, want nil or %v", i, err, lost)
			}
		})
	}
	wg.Wait()
	return won
}

// TestNamesRace has nodes on every server of a cluster hold one name at
// once: exactly one wins and the others are told the name is taken; once
// the winner lets go the name can be held again, and the winner's late
// second release does not free it from the new holder.
func TestNamesRace(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const nodes = 6
	names := make([]*cluster.Names, nodes)
	for i := range names {
		names[i] = openNames(t, c, "n"+strconv.Itoa(i), i%3)
	}

	rels := make([]func() error, nodes)
	won := race(t, nodes, chat.ErrNameTaken, func(i int) error {
		release, err := names[i].HoldName(ctx, "j.doe")
		rels[i] = func() error { return release(ctx) }
		return err
	})
	if len(won) != 1 {
		t.Fatalf("nodes %v won the race for one name, want exactly one", won)
	}
	winner := won[0]
	if err := rels[winner](); err != nil {
		t.Fatalf("release: %v", err)
	}
	other := (winner + 1) % nodes
	release2, err := names[other].HoldName(ctx, "j.doe")
	if err != nil {
		t.Fatalf("HoldName after release = %v, want it held", err)
	}
	if err := rels[winner](); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if _, err := names[winner].HoldName(ctx, "j.doe"); !errors.Is(err, chat.ErrNameTaken) {
		t.Errorf("HoldName after a stale release = %v, want ErrNameTaken (the stale release freed it)", err)
	}
	if err := release2(ctx); err != nil {
		t.Fatalf("release of the second holder: %v", err)
	}
}

// TestNamesHeldTwiceOnOneNode has one node hold a name twice, as a login
// that replaces an older session of the name on the node does: the name
// stays the node's until both holds are released.
func TestNamesHeldTwiceOnOneNode(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	a, b := openNames(t, c, "a", 0), openNames(t, c, "b", 1)
	rel1, err := a.HoldName(ctx, "anna")
	if err != nil {
		t.Fatalf("first hold: %v", err)
	}
	rel2, err := a.HoldName(ctx, "anna")
	if err != nil {
		t.Fatalf("second hold on the same node: %v", err)
	}
	if err := rel1(ctx); err != nil {
		t.Fatalf("release the first: %v", err)
	}
	if _, err := b.HoldName(ctx, "anna"); !errors.Is(err, chat.ErrNameTaken) {
		t.Fatalf("other node's hold with one hold left = %v, want ErrNameTaken", err)
	}
	if err := rel2(ctx); err != nil {
		t.Fatalf("release the second: %v", err)
	}
	if _, err := b.HoldName(ctx, "anna"); err != nil {
		t.Fatalf("other node's hold once both were released = %v, want it held", err)
	}
}

// TestHubsRaceForName has chat hubs on every server of a cluster, each
// with the names bucket as its Cluster, log one name in at once: exactly
// one login wins, the others are told the name is taken, and once the
// winner logs out the name is free on another hub.
func TestHubsRaceForName(t *testing.T) {
	c := clustertest.Start(t, 3)
	hubs := make([]*chat.Hub, 3)
	for i := range hubs {
		hubs[i] = chattest.NewHub(t, chat.Config{Cluster: openNode(t, c, "n"+strconv.Itoa(i), i)})
	}
	sessions := make([]*chat.Session, len(hubs))
	at := race(t, len(hubs), chat.ErrNameTaken, func(i int) (err error) {
		sessions[i], err = hubs[i].Login(t.Context(), "anna", chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0)})
		return err
	})
	if len(at) != 1 {
		t.Fatalf("hubs %v logged anna in, want exactly one", at)
	}
	sessions[at[0]].Close()
	other := hubs[(at[0]+1)%3]
	s, err := other.Login(t.Context(), "anna", chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatalf("Login on another hub after logout = %v, want it in", err)
	}
	s.Close()
}

// TestNamesExpireWithoutHeartbeat: a name held by a node whose heartbeat
// runs stays held past its TTL; once the node stops refreshing it (killed
// with -9: no release), the name comes free for another node within the
// TTL and a little.
func TestNamesExpireWithoutHeartbeat(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const ttl = 2 * time.Second
	a, b := openNamesTTL(t, c, "a", 0, ttl), openNamesTTL(t, c, "b", 1, ttl)
	if _, err := a.HoldName(ctx, "anna"); err != nil {
		t.Fatalf("hold on a: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(runCtx, nil) })
	defer wg.Wait()
	defer stop()

	for end := time.Now().Add(2 * ttl); time.Now().Before(end); { // refreshed: held all along
		if _, err := b.HoldName(ctx, "anna"); !errors.Is(err, chat.ErrNameTaken) {
			t.Fatalf("hold on b while a refreshes = %v, want ErrNameTaken", err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t0 := time.Now()
	stop() // a dies: no more refreshes, no release
	wg.Wait()
	err := clustertest.Eventually(ctx, 15*time.Second, func(ctx context.Context) error {
		_, err := b.HoldName(ctx, "anna")
		return err
	})
	if err != nil {
		t.Fatalf("hold on b once a stopped refreshing: %v", err)
	}
	t.Logf("free %v after the last refresh could have been", time.Since(t0))
}

// TestNameLostAfterExpiry: a node cut off longer than the TTL (here: not
// refreshing) finds, when its heartbeat comes back, that the name expired
// and another node took it: Run reports the name lost, once, and the node
// refuses a new hold of it; a name that expired and is still free is
// simply held again.
func TestNameLostAfterExpiry(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const ttl = time.Second
	a, b := openNamesTTL(t, c, "a", 0, ttl), openNamesTTL(t, c, "b", 1, ttl)
	for _, name := range []string{"anna", "bob"} {
		if _, err := a.HoldName(ctx, name); err != nil {
			t.Fatalf("hold %s on a: %v", name, err)
		}
	}
	err := clustertest.Eventually(ctx, 15*time.Second, func(ctx context.Context) error {
		_, err := b.HoldName(ctx, "anna") // once a's hold expired
		return err
	})
	if err != nil {
		t.Fatalf("hold anna on b once a's expired: %v", err)
	}

	lost := make(chan string, 10)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(runCtx, func(name string) { lost <- name }) })
	defer wg.Wait()
	defer stop()
	select {
	case name := <-lost:
		if name != "anna" {
			t.Fatalf("lost %q, want anna", name)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a's heartbeat did not report anna lost")
	}
	if _, err := a.HoldName(ctx, "anna"); !errors.Is(err, chat.ErrNameTaken) {
		t.Errorf("hold anna on a once lost = %v, want ErrNameTaken", err)
	}
	// bob expired too but nobody took him: a's heartbeat holds him again.
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(ctx, cluster.NamesBucket)
	if err != nil {
		t.Fatalf("names bucket: %v", err)
	}
	err = clustertest.Eventually(ctx, 15*time.Second, func(ctx context.Context) error {
		e, err := kv.Get(ctx, cluster.Key("bob"))
		if err != nil {
			return err
		}
		if v := string(e.Value()); !strings.HasPrefix(v, "a ") {
			return fmt.Errorf("bob held by %q, want a", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-lost:
		t.Errorf("lost %q as well, want anna only", name)
	default:
	}
}
