package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// openNodes opens the nodes' registry for node over a connection of its
// own to the server-th server, with entries living ttl.
func openNodes(t *testing.T, c *clustertest.Cluster, node string, server int, ttl time.Duration) *cluster.Nodes {
	t.Helper()
	n, err := cluster.OpenNodes(t.Context(), connectTo(t, c, node, server), cluster.NodesConfig{Node: node, TTL: ttl})
	if err != nil {
		t.Fatalf("OpenNodes %s: %v", node, err)
	}
	return n
}

// runNodes runs n.Run until the returned stop is called.
func runNodes(n *cluster.Nodes) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { n.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

// TestNodesRegistry: a node registered and refreshing keeps its name
// from a second node of that name, past its TTL; once it leaves its entry
// is deleted and the name free; once it dies (stops refreshing) the name is free
// within its TTL.
func TestNodesRegistry(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	const ttl = 2 * time.Second
	first := openNodes(t, c, "chat1", 0, ttl)
	if err := first.Register(t.Context()); err != nil {
		t.Fatalf("first Register: %v", err)
	}
	stop := runNodes(first)

	second := openNodes(t, c, "chat1", 1, ttl)
	start := time.Now()
	if err := second.Register(t.Context()); !errors.Is(err, cluster.ErrNodeNameTaken) {
		t.Fatalf("second Register while the first refreshes = %v, want ErrNodeNameTaken", err)
	}
	if d := time.Since(start); d < ttl {
		t.Errorf("refused after %v, want after waiting at least the TTL %v for a dead node's entry", d, ttl)
	}

	stop()
	if err := first.Leave(t.Context()); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	kv, err := connectTo(t, c, "test", 1).KeyValue(t.Context(), cluster.NodesBucket)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(t.Context(), cluster.Key("chat1")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("chat1's entry after Leave = %v, %v; want it deleted", e, err)
	}
	if err := second.Register(t.Context()); err != nil {
		t.Fatalf("Register after the first left: %v", err)
	}
	stop = runNodes(second) // never leaves: dies
	stop()

	third := openNodes(t, c, "chat1", 2, ttl)
	if err := third.Register(t.Context()); err != nil {
		t.Fatalf("Register after the holder died: %v", err)
	}
}

// TestRefreshNow: after RefreshNow, Names.Run renews a held name at once,
// not at its next tick (an hour away here).
func TestRefreshNow(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	names := openNamesTTL(t, c, "a", 0, 4*time.Hour)
	if _, err := names.HoldName(t.Context(), "anna"); err != nil {
		t.Fatal(err)
	}
	kv, err := connectTo(t, c, "test", 1).KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(t.Context(), cluster.Key("anna"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { names.Run(ctx, nil) })
	defer func() { cancel(); wg.Wait() }()
	names.RefreshNow()
	err = clustertest.Eventually(t.Context(), 10*time.Second, func(ctx context.Context) error {
		now, err := kv.Get(ctx, cluster.Key("anna"))
		if err == nil && now.Revision() == e.Revision() {
			return errors.New("not refreshed yet")
		}
		return err
	})
	if err != nil {
		t.Fatalf("anna's key after RefreshNow: %v", err)
	}
}
