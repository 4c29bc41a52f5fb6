// Package clustertest starts an in-process NATS JetStream cluster for
// tests: three (or n) nats-server instances on random 127.0.0.1 ports, each
// storing into a temporary folder, routed to each other. Start returns once
// JetStream has a meta leader and every server takes replicas, so streams and
// buckets may be created at once.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Timeouts of Start, generous for a loaded 2-core machine under -race: a
// meta leader is usually elected within about a second.
const (
	readyTimeout  = 30 * time.Second
	leaderTimeout = 60 * time.Second
)

// running bounds the clusters up at once in one test binary: each is
// three JetStream servers plus the nodes a test starts on it, and a dozen
// parallel tests starting theirs at once on two cores under -race starve
// each other past any timeout (a server not ready within 20 s). A test
// holds its slot from Start until it ends.
var running = make(chan struct{}, max(4, 2*runtime.GOMAXPROCS(0)))

// Cluster is a running in-process JetStream cluster. Its methods are
// safe for concurrent use, but Shutdown and Restart are meant for the
// test's own goroutine.
type Cluster struct {
	tb      testing.TB
	mu      sync.Mutex
	servers []*server.Server
	opts    []*server.Options // each server's, its client port fixed once it started (Restart)
}

// Start starts an n-server JetStream cluster named "chat" (n ≥ 1; 3 for
// R3 streams and buckets) and returns once every server accepts clients,
// the cluster has a JetStream meta leader and every server takes
// replicas. Every server is shut down when the test ends. It fails the test if the cluster does not come up.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("clustertest.Start(%d): need at least one server", n)
	}
	select {
	case running <- struct{}{}:
		tb.Cleanup(func() { <-running })
	case <-tb.Context().Done():
		tb.Fatalf("clustertest.Start: test ended waiting for a slot")
	}
	var c *Cluster
	for try := 1; ; try++ {
		var err error
		if c, err = start(tb, n); err == nil {
			break
		}
		if try == startTries {
			tb.Fatalf("clustertest: %v", err)
		}
		tb.Logf("clustertest: %v; starting again on other ports", err)
	}
	if err := c.awaitMetaLeader(tb.Context()); err != nil {
		tb.Fatalf("clustertest: %v", err)
	}
	return c
}

// startTries bounds how many times Start starts a cluster: a route port
// freePorts found free may be taken by someone else before the server
// listens on it, and that server is then never ready.
const startTries = 3

// start starts an n-server cluster and waits until every server accepts
// clients; it shuts down what it started if one is not ready in time.
func start(tb testing.TB, n int) (*Cluster, error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, fmt.Errorf("reserve route ports: %w", err)
	}
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = "nats-route://127.0.0.1:" + strconv.Itoa(p)
	}
	c := &Cluster{tb: tb}
	for i := range n {
		opts := &server.Options{
			ServerName:         "n" + strconv.Itoa(i+1),
			Host:               "127.0.0.1",
			Port:               server.RANDOM_PORT,
			NoSigs:             true,
			NoLog:              true,
			JetStream:          true,
			StoreDir:           tb.TempDir(),
			JetStreamMaxMemory: 64 << 20,
			JetStreamMaxStore:  1 << 30,
		}
		if n > 1 {
			opts.Cluster = server.ClusterOpts{Name: "chat", Host: "127.0.0.1", Port: ports[i]}
			opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		}
		s, err := server.NewServer(opts)
		if err != nil {
			c.shutdownAll()
			return nil, fmt.Errorf("new server %s: %w", opts.ServerName, err)
		}
		s.Start() // does not block
		c.servers = append(c.servers, s)
		c.opts = append(c.opts, opts)
	}
	for i, s := range c.servers {
		if !s.ReadyForConnections(readyTimeout) {
			c.shutdownAll()
			return nil, fmt.Errorf("server %s not ready within %v", s.Name(), readyTimeout)
		}
		c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	}
	tb.Cleanup(c.shutdownAll)
	return c, nil
}

// freePorts reserves n ports on 127.0.0.1 by listening on them, and lets
// them go for the servers' route listeners to take.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// awaitMetaLeader polls JetStream's account info, which gets no answer
// until a meta leader is elected, with short attempts, then until a
// stream with a replica on every server can be placed.
func (c *Cluster) awaitMetaLeader(ctx context.Context) error {
	nc, err := nats.Connect(c.URL(), nats.Timeout(2*time.Second))
	if err != nil {
		return fmt.Errorf("connect to await the meta leader: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if err := Eventually(ctx, leaderTimeout, func(ctx context.Context) error {
		_, err := js.AccountInfo(ctx)
		return err
	}); err != nil {
		return err
	}
	// A meta leader may know a peer that is not current yet: a stream
	// of every server's replicas is placed ("no suitable peers for
	// placement" until then) before the cluster is the tests'.
	return Eventually(ctx, leaderTimeout, func(ctx context.Context) error {
		cfg := jetstream.StreamConfig{Name: "CLUSTERTEST_READY", Subjects: []string{"clustertest.ready"},
			Storage: jetstream.MemoryStorage, Replicas: len(c.servers)}
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("place a stream of %d replicas: %w", cfg.Replicas, err)
		}
		return js.DeleteStream(ctx, cfg.Name)
	})
}

// URLs returns the client URLs of the servers still running, in order.
func (c *Cluster) URLs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var urls []string
	for _, s := range c.servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return urls
}

// URL returns the client URLs of the running servers joined by commas, as
// nats.Connect and chatserver's --nats take them.
func (c *Cluster) URL() string { return strings.Join(c.URLs(), ",") }

// Server returns the i-th server (0-based), for a test that inspects it.
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[i]
}

// Shutdown stops the i-th server (0-based) and waits until it has stopped:
// a NATS server of the cluster lost. The others elect new leaders.
func (c *Cluster) Shutdown(i int) {
	s := c.Server(i)
	s.Shutdown()
	s.WaitForShutdown()
}

// Restart starts the i-th server again, after Shutdown(i), on its client
// port and store folder, and returns once it accepts clients and, if
// every server runs again, the cluster has a JetStream meta leader: clients reconnect to the URL they
// had, and find what JetStream stored before. It fails the test if the
// server does not come back.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	if c.Server(i).Running() {
		c.tb.Fatalf("clustertest.Restart(%d): the server is running", i)
	}
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.tb.Fatalf("clustertest: new server %s again: %v", c.opts[i].ServerName, err)
	}
	s.Start()
	c.mu.Lock()
	c.servers[i] = s
	c.mu.Unlock()
	if !s.ReadyForConnections(readyTimeout) {
		c.tb.Fatalf("clustertest: server %s not ready again within %v", s.Name(), readyTimeout)
	}
	if len(c.URLs()) < len(c.opts) {
		return // no meta leader to wait for while others are down
	}
	if err := c.awaitMetaLeader(c.tb.Context()); err != nil {
		c.tb.Fatalf("clustertest: after restarting %s: %v", s.Name(), err)
	}
}

func (c *Cluster) shutdownAll() {
	c.mu.Lock()
	n := len(c.servers)
	c.mu.Unlock()
	for i := range n {
		c.Shutdown(i)
	}
}

// Connect connects to the cluster with every running server's URL and
// the reconnect settings a chat node uses (retry for ever, quickly), and
// closes the connection when the test ends.
func (c *Cluster) Connect(tb testing.TB, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	all := append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond),
		nats.ReconnectJitter(50*time.Millisecond, 0),
		nats.Timeout(2 * time.Second),
	}, opts...)
	nc, err := nats.Connect(c.URL(), all...)
	if err != nil {
		tb.Fatalf("clustertest: connect %s: %v", c.URL(), err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Eventually calls f with a short deadline of its own until it returns
// nil, and returns nil then; or the last error once within has passed or
// ctx is done. For what the cluster settles by itself (a leader elected
// after a server was lost): never a bare sleep.
func Eventually(ctx context.Context, within time.Duration, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		actx, acancel := context.WithTimeout(ctx, time.Second)
		err := f(actx)
		acancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not within %v: %w", within, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Proxy is a TCP proxy in front of one server's client port: a node
// connected through it (its URL only) can be cut off from the cluster
// while every other client stays connected, and let back in.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

// Proxy starts a proxy to the i-th server's client port, closed when the
// test ends. A one-server cluster advertises no other URL, so a client of
// the proxy's URL reconnects through it only.
func (c *Cluster) Proxy(i int) *Proxy {
	c.tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.tb.Fatalf("clustertest: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: c.Server(i).Addr().String(), conns: map[net.Conn]struct{}{}}
	done := make(chan struct{})
	go p.serve(done)
	c.tb.Cleanup(func() {
		ln.Close()
		<-done
		p.Cut()
	})
	return p
}

// URL is the proxy's client URL.
func (p *Proxy) URL() string { return "nats://" + p.ln.Addr().String() }

// Cut closes every connection through the proxy and refuses new ones
// (they are closed as soon as accepted) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for conn := range p.conns {
		conn.Close()
	}
	clear(p.conns)
}

// Restore lets connections through the proxy again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// serve accepts until the listener is closed, then closes done.
func (p *Proxy) serve(done chan struct{}) {
	defer close(done)
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(in)
	}
}

// pipe copies between in and a new connection to the server, both ways,
// until either ends or Cut closes them.
func (p *Proxy) pipe(in net.Conn) {
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		in.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	p.mu.Unlock()
	end := func() {
		in.Close()
		out.Close()
		p.mu.Lock()
		delete(p.conns, in)
		delete(p.conns, out)
		p.mu.Unlock()
	}
	go func() { io.Copy(out, in); end() }()
	io.Copy(in, out)
	end()
}
