package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"chatserver/chat"
	"chatserver/cluster"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS says how a node joins a cluster of chatserver nodes sharing one
// NATS JetStream cluster (cluster/DESIGN.md). With no URLs the node is a
// single server, exactly as before. So far the names online are shared
// (unique cluster-wide, freed within NameTTL of a node's death) and the
// rooms (one creator wins; a room created on one node is in /rooms on
// every node); rooms' members, lines, rights and the rest are still each
// node's own.
type NATS struct {
	URLs     []string      // client URLs of the NATS servers; none: a single node
	Creds    string        // a NATS credentials file (JWT and nkey seed); "" for none
	Node     string        // this node's name, unique in the cluster; the host name if ""
	NameTTL  time.Duration // how long a node's names outlive its last heartbeat; DefaultNameTTL if 0
	Replicas int           // copies of each bucket: 3 (R3) if 0; 1 for a one-server cluster
}

// DefaultNameTTL is NATS.NameTTL when it is 0: the names of a node killed
// with -9 come free within it, and a second or so.
const DefaultNameTTL = 10 * time.Second

// clusterNode is this node's part of the cluster and its NATS connection.
type clusterNode struct {
	nc   *nats.Conn
	node *cluster.Node
}

// joinCluster connects to the NATS servers of cfg and opens what the node
// shares. A cluster out of reach is an error at once (no retry), so that
// serve can say so and exit; once connected, the connection reconnects by
// itself for ever.
func joinCluster(ctx context.Context, cfg NATS, history int, log *slog.Logger) (*clusterNode, error) {
	if cfg.Node == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node name from the host name: %w", err)
		}
		cfg.Node = host
	}
	if cfg.NameTTL <= 0 {
		cfg.NameTTL = DefaultNameTTL
	}
	opts := []nats.Option{
		nats.Name("chatserver " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, 0),
		nats.ReconnectBufSize(8 << 20),
		nats.Timeout(2 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "server", c.ConnectedServerName())
		}),
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	url := strings.Join(cfg.URLs, ",")
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	node, err := cluster.OpenNode(ctx, js, cluster.NodeConfig{
		Node: cfg.Node, Replicas: cfg.Replicas, NameTTL: cfg.NameTTL, History: history, Logger: log,
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	log.Info("joined the cluster", "node", cfg.Node, "nats", nc.ConnectedUrlRedacted())
	return &clusterNode{nc: nc, node: node}, nil
}

// chatCluster returns what the hub asks the cluster: nil for a single
// node (a nil *clusterNode), never a non-nil interface holding nil.
func (c *clusterNode) chatCluster() chat.Cluster {
	if c == nil {
		return nil
	}
	return c.node
}

// readyWait bounds how long run waits for the rooms other nodes made.
const readyWait = 10 * time.Second

// run keeps hub in step with the cluster (cluster.Node.Run: the names'
// heartbeat, the rooms other nodes create) until the returned stop is
// called, and returns once the rooms the other nodes made before are the
// hub's (or readyWait passed, logged), so that the doors open on them.
// stop waits for it; it does not close the connection (close does, once
// the sessions let their names go).
func (c *clusterNode) run(hub *chat.Hub, log *slog.Logger) (stop func()) {
	if c == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, ended := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ended)
		if err := c.node.Run(ctx, hub, func() { close(ready) }); err != nil {
			log.Error("cluster", "err", err)
		}
	})
	select {
	case <-ready:
	case <-ended:
	case <-time.After(readyWait):
		log.Warn("rooms of the other nodes not read yet, opening the doors", "waited", readyWait)
	}
	return func() { cancel(); wg.Wait() }
}

// close closes the connection to NATS; safe on nil.
func (c *clusterNode) close() {
	if c == nil {
		return
	}
	c.nc.Close()
}
