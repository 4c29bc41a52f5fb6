package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chatserver/chat"
	"chatserver/cluster"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS says how a node joins a cluster of chatserver nodes sharing one
// NATS JetStream cluster (cluster/DESIGN.md). With no URLs the node is a
// single server, exactly as before. With them, everything a user sees is
// shared: names online (unique cluster-wide, freed within NameTTL of a
// node's death), rooms and their rights, bans and mutes, members and
// lines (one order per room), bindings, passwords, server bans and
// offline delivery; a command on a user of another node is sent to it.
type NATS struct {
	URLs     []string      // client URLs of the NATS servers; none: a single node
	Creds    string        // a NATS credentials file (JWT and nkey seed); "" for none
	TLS      NATSTLS       // TLS to the NATS servers beyond what the URLs say (tls://)
	Node     string        // this node's name, unique in the cluster; the host name if ""
	NameTTL  time.Duration // how long a node's names, and its entry among the nodes, outlive its last heartbeat; DefaultNameTTL if 0
	Replicas int           // copies of each bucket: 3 (R3) if 0; 1 for a one-server cluster
}

// NATSTLS is the TLS of a node's connection to NATS (nats.RootCAs,
// nats.ClientCert); all "" for none but what the URLs ask.
type NATSTLS struct {
	CA   string // PEM file of the CAs that sign the servers' certificates; the system's if ""
	Cert string // PEM file of this node's client certificate, with Key
	Key  string // PEM file of the client certificate's private key
}

// DefaultNameTTL is NATS.NameTTL when it is 0: the names of a node killed
// with -9 come free within it, and a second or so.
const DefaultNameTTL = 10 * time.Second

// clusterNode is this node's part of the cluster and its NATS connection.
type clusterNode struct {
	nc   *nats.Conn
	node *cluster.Node
	log  *slog.Logger
	hub  atomic.Pointer[chat.Hub] // the hub told of a lost connection; nil until run
	// broken is set when the node's part of the cluster (cluster.Node.Run)
	// stopped before the node did: it is no longer in step with the
	// others, so /readyz says not ready and the balancer drains it.
	broken atomic.Bool
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
	c := &clusterNode{log: log}
	opts := []nats.Option{
		nats.Name("chatserver " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, 0),
		nats.ReconnectBufSize(8 << 20),
		nats.Timeout(2 * time.Second),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() { // Close at shutdown, not a loss
				return
			}
			log.Warn("nats disconnected", "err", err)
			c.notify(chat.TextConnectionLost)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "server", nc.ConnectedServerName())
			if c.hub.Load() != nil { // c.node is set, before run stored the hub
				c.node.Reconnected()
			}
			c.notify(chat.TextReconnected)
		}),
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	tlsOpts, err := cfg.TLS.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts, tlsOpts...)
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", redacted(cfg.URLs), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	node, err := openNode(ctx, js, cluster.NodeConfig{
		Node: cfg.Node, Replicas: cfg.Replicas, NameTTL: cfg.NameTTL, History: history, Logger: log,
	}, log)
	if err != nil {
		nc.Close()
		return nil, err
	}
	log.Info("joined the cluster", "node", cfg.Node, "nats", nc.ConnectedUrlRedacted())
	c.nc, c.node = nc, node // the handlers read node only once run stored the hub, after this
	return c, nil
}

// startWait bounds how long a node that reached NATS waits for JetStream
// to serve it: a cluster started at the same moment as its nodes (as
// compose does) elects its meta leader and the buckets' leaders within
// seconds, and until then JetStream's API times out or says the cluster
// is not available.
const startWait = time.Minute

// openNode is cluster.OpenNode, tried again every second while JetStream
// is not ready yet, for up to startWait; any other error ends it at once.
func openNode(ctx context.Context, js jetstream.JetStream, cfg cluster.NodeConfig, log *slog.Logger) (*cluster.Node, error) {
	deadline := time.Now().Add(startWait)
	for try := 1; ; try++ {
		node, err := openNodeOnce(ctx, js, cfg)
		if err == nil || !notReady(err) {
			return node, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("jetstream not ready within %v: %w", startWait, err)
		}
		log.Warn("jetstream not ready yet, trying again", "try", try, "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// openNodeOnce asks JetStream for the account's figures first, which its
// cluster answers at once with "not available" while it has no meta
// leader, where the buckets' creation would wait for its timeout (5 s);
// then it is cluster.OpenNode.
func openNodeOnce(ctx context.Context, js jetstream.JetStream, cfg cluster.NodeConfig) (*cluster.Node, error) {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := js.AccountInfo(actx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("jetstream account: %w", err)
	}
	return cluster.OpenNode(ctx, js, cfg)
}

// jsClusterNotAvailable is JetStream's error code for a cluster with no
// meta leader yet.
const jsClusterNotAvailable = 10008

// notReady reports whether err is JetStream still starting: a request
// that got no answer in time, or the cluster's "not available".
func notReady(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		(errors.As(err, &api) && api.ErrorCode == jsClusterNotAvailable)
}

// redacted returns urls comma-separated, each with the password of its
// user info (nats://user:password@host) replaced by "xxxxx", for an error
// that serve prints and logs keep.
func redacted(urls []string) string {
	out := make([]string, len(urls))
	for i, s := range urls {
		out[i] = s
		if u, err := url.Parse(s); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				out[i] = u.Redacted()
			} else { // a token alone: nats://token@host
				u.User = url.User("xxxxx")
				out[i] = u.String()
			}
		}
	}
	return strings.Join(out, ",")
}

// options are the nats.go options of t.
func (t NATSTLS) options() ([]nats.Option, error) {
	var opts []nats.Option
	if t.CA != "" {
		opts = append(opts, nats.RootCAs(t.CA))
	}
	switch {
	case t.Cert != "" && t.Key != "":
		opts = append(opts, nats.ClientCert(t.Cert, t.Key))
	case t.Cert != "" || t.Key != "":
		return nil, errors.New("nats TLS: a client certificate needs its key, and a key its certificate")
	}
	return opts, nil
}

// notify tells every user of the hub, once run gave it, the system line
// text.
func (c *clusterNode) notify(text string) {
	if h := c.hub.Load(); h != nil {
		h.NotifyAll(text)
	}
}

// connected reports whether the node is connected to NATS and in step
// with the others (true for a single node), for /readyz: a node cut off
// from the others, or whose part of the cluster stopped on an error, is
// no place to send new users.
func (c *clusterNode) connected() bool {
	return c == nil || (c.nc.IsConnected() && !c.broken.Load())
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
	c.hub.Store(hub)
	ctx, cancel := context.WithCancel(context.Background())
	ready, ended := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ended)
		err := c.node.Run(ctx, hub, func() { close(ready) })
		if ctx.Err() == nil { // stopped before the node: never in step again
			c.broken.Store(true)
			log.Error("cluster: this node no longer follows the others; /readyz says not ready, restart it", "err", err)
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

// leaveWait bounds how long close waits for the node's entry among the
// nodes to be deleted.
const leaveWait = 2 * time.Second

// close takes the node out of the registry of the nodes alive (its name
// is free at once; else within its TTL) and closes the connection to
// NATS; safe on nil.
func (c *clusterNode) close() {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), leaveWait)
	defer cancel()
	if err := c.node.Leave(ctx); err != nil {
		c.log.Warn("leave the cluster", "err", err)
	}
	c.nc.Close()
}
