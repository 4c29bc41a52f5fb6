// Package app assembles chatserver: it opens the store, builds the hub,
// registers the plugins, starts both doors and shuts them down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"chatserver/app/lineproto"
	"chatserver/app/metrics"
	"chatserver/app/proxied"
	"chatserver/app/sshd"
	"chatserver/app/telnet"
	"chatserver/chat"
	"chatserver/chat/store"
)

// Config is everything chatserver serve can be told.
type Config struct {
	TelnetAddr     string        // telnet listen address; "" disables the door
	SSHAddr        string        // SSH listen address; "" disables the door
	MetricsAddr    string        // Prometheus /metrics, /healthz and /readyz; "" disables them, a bare port is loopback's
	DataDir        string        // where the database and the SSH host key live
	Plugins        []chat.Plugin // see PluginsByName
	FloodBurst     int           // lines a connection may send at once
	FloodRate      float64       // lines a second after the burst; 0 turns flood control off
	HistoryPerRoom int           // messages kept per room
	MaxRooms       int           // rooms there may be; chat.DefaultMaxRooms if 0
	RoomsPerHour   int           // rooms one name, and one address, may create an hour; 0: no limit
	RoomExpiry     time.Duration // idle empty rooms without bans are removed after it; 0: never
	NamesPerKey    int           // names one SSH key may own; 0: no limit
	NameExpiry     time.Duration // a name binding unused this long lapses; 0: never
	MaxConns       int           // connections per door in total
	MaxConnsPerIP  int           // connections per door from one address
	ProxyFrom      []string      // load balancers (addresses, CIDR ranges) whose connections start with a PROXY header (package proxied); none: no header read
	ShutdownGrace  time.Duration // how long users get to be told of a shutdown
	OpsFile        string        // server operators' SSH keys, OpenSSH authorized_keys format; "" for none (Reload re-reads it)
	MOTDFile       string        // the message of the day, sent after login; "" for none (Reload re-reads it)
	Logger         *slog.Logger
	Store          chat.Store // overrides the store in DataDir (tests)
	NATS           NATS       // a cluster of nodes to join (cluster.go); none: a single node

	SSHHandshakeTimeout time.Duration // SSH handshake and auth must end within it; sshd default if 0
	SSHIdleTimeout      time.Duration // an SSH client silent this long is cut; sshd default if 0

	Now func() time.Time // the engine's clock (timed bans and mutes); time.Now if nil (tests)
}

// DefaultShutdownGrace is Config.ShutdownGrace when it is 0.
const DefaultShutdownGrace = 3 * time.Second

// HostKeyFile is the SSH host key's file name in the data folder.
const HostKeyFile = "ssh_host_ed25519"

// App is a running chatserver.
type App struct {
	lock   *dirLock      // the data folder's lock, released by Run; nil without DataDir
	db     *store.SQLite // the store New opened, closed by Run; nil with Config.Store
	cfg    Config
	log    *slog.Logger
	hub    *chat.Hub
	telnet *telnet.Door
	ssh    *sshd.Door
	node   *clusterNode // this node's part of a cluster; nil for a single node

	metrics  *metrics.Metrics // nil without MetricsAddr
	scrape   *metrics.Server  // serves metrics; nil without MetricsAddr
	doorsUp  atomic.Int32     // doors whose Run is serving, for /readyz
	doorsAll int32            // doors enabled
	stopping atomic.Bool      // Run is shutting down

	slowEvery time.Duration // how often Run looks whether the slow-client counts grew

	ops      atomic.Pointer[operators] // the operators file as last read (ops.go)
	reloadMu sync.Mutex                // one Reload at a time
}

// slowEvery is how often Run logs the slow-client counts while they grow.
const slowEvery = time.Minute

// New locks the data folder, opens the store, builds the hub and listens
// on the doors' addresses. The store is cfg.Store if set, else the SQLite
// database DBFile in cfg.DataDir (the folder is created), else, with no
// DataDir, one in memory. A data folder another chatserver holds is an
// error. Run closes the store New opened and releases the folder; when New
// fails, it has closed whatever it opened.
func New(ctx context.Context, cfg Config) (_ *App, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if _, err := proxied.Policy(cfg.ProxyFrom); len(cfg.ProxyFrom) > 0 && err != nil {
		return nil, err // before anything is opened
	}
	a := &App{cfg: cfg, log: cfg.Logger, slowEvery: slowEvery}
	defer func() {
		if err != nil {
			a.release()
		}
	}()
	if cfg.DataDir != "" {
		if a.lock, err = openDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	var obs observers
	if cfg.MetricsAddr != "" {
		a.metrics = metrics.New()
		obs = observers{a.metrics.ObserveFanOut, a.metrics.ObserveFrame, a.metrics.ObserveBatch}
	}
	if len(cfg.NATS.URLs) > 0 { // before the store: a cluster out of reach opens nothing
		if a.node, err = joinCluster(ctx, cfg.NATS, cfg.HistoryPerRoom, cfg.Logger); err != nil {
			return nil, err
		}
	}
	st := cfg.Store
	if st == nil && cfg.DataDir == "" {
		st = store.NewMemory(cfg.HistoryPerRoom)
	} else if st == nil {
		if a.db, err = openStore(ctx, cfg, obs.batch); err != nil {
			return nil, err
		}
		st = a.db
	}
	a.hub, err = chat.New(ctx, chat.Config{Cluster: a.node.chatCluster(), Store: st, Plugins: cfg.Plugins, Logger: cfg.Logger, MaxRooms: cfg.MaxRooms,
		RoomsPerHour: cfg.RoomsPerHour, RoomExpiry: cfg.RoomExpiry,
		NamesPerKey: cfg.NamesPerKey, NameExpiry: cfg.NameExpiry, Now: cfg.Now, ObserveFanOut: obs.fanOut})
	if err != nil {
		return nil, fmt.Errorf("build hub: %w", err)
	}
	if err := a.loadSettings(); err != nil {
		return nil, err
	}
	line := lineproto.Options{Logger: cfg.Logger, FloodBurst: cfg.FloodBurst, FloodRate: cfg.FloodRate}
	if cfg.TelnetAddr != "" {
		a.telnet, err = telnet.New(telnet.Config{
			Addr: cfg.TelnetAddr, Hub: a.hub, Logger: cfg.Logger,
			MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, ProxyFrom: cfg.ProxyFrom, Line: line,
		})
		if err != nil {
			return nil, err
		}
		a.doorsAll++
	}
	if a.metrics != nil {
		if err := a.listenMetrics(); err != nil {
			return nil, err
		}
	}
	// The SSH door comes last: nothing after it can fail, so it is never
	// left listening.
	if cfg.SSHAddr != "" {
		hostKey := filepath.Join(cfg.DataDir, HostKeyFile)
		_, statErr := os.Stat(hostKey)
		a.ssh, err = sshd.New(sshd.Config{
			Addr: cfg.SSHAddr, HostKeyPath: hostKey, Hub: a.hub, Logger: cfg.Logger,
			MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, ProxyFrom: cfg.ProxyFrom, Line: line,
			HandshakeTimeout: cfg.SSHHandshakeTimeout, IdleTimeout: cfg.SSHIdleTimeout,
			Operator: a.isOperator, ObserveFrame: obs.frame,
		})
		if err != nil {
			return nil, err
		}
		a.logHostKey(hostKey, errors.Is(statErr, fs.ErrNotExist))
		a.doorsAll++
	}
	return a, nil
}

// release closes what New opened and Run did not: the telnet listener,
// the store, the cluster's connection and the data folder's lock. For a
// New that failed.
func (a *App) release() {
	if a.telnet != nil {
		a.telnet.Close()
	}
	if a.scrape != nil {
		a.scrape.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
	a.node.close()
	a.lock.release()
}

// Hub returns the chat engine.
func (a *App) Hub() *chat.Hub { return a.hub }

// TelnetAddr returns the telnet door's address, or nil if it is disabled.
func (a *App) TelnetAddr() net.Addr {
	if a.telnet == nil {
		return nil
	}
	return a.telnet.Addr()
}

// SSHAddr returns the SSH door's address, or nil if it is disabled.
func (a *App) SSHAddr() net.Addr {
	if a.ssh == nil {
		return nil
	}
	return a.ssh.Addr()
}

// cutWait is how long Run waits for the connections it cut when the grace
// ran out, and the least the store gets to write what is queued.
const cutWait = time.Second

// Run serves until ctx is done, then shuts down in order: every user is
// told, the doors stop accepting, and connections get ShutdownGrace to
// drain before they are cut. Then the store writes what is queued and is
// closed. Every wait is bounded: Run returns within about ShutdownGrace
// plus two seconds, logging whatever it stopped waiting for. While it
// serves, growing slow-client counts are logged at most once a minute, and
// their totals at shutdown.
func (a *App) Run(ctx context.Context) error {
	stopCluster := a.node.run(a.hub, a.log) // the other nodes' rooms, before the doors open
	doorCtx, stopDoors := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDoors()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if a.telnet != nil {
		a.log.Info("listening", "door", "telnet", "addr", a.telnet.Addr().String())
		a.doorsUp.Add(1)
		wg.Go(func() { defer a.doorsUp.Add(-1); errc <- a.telnet.Run(doorCtx) })
	}
	if a.ssh != nil {
		a.log.Info("listening", "door", "ssh", "addr", a.ssh.Addr().String())
		a.doorsUp.Add(1)
		wg.Go(func() { defer a.doorsUp.Add(-1); errc <- a.ssh.Run(doorCtx) })
	}
	stopMetrics := a.runMetrics()
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() { a.watchSlow(stopWatch) })
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.stopping.Store(true)
	a.log.Info("shutting down", "users", a.hub.Online())
	deadline := time.Now().Add(a.cfg.ShutdownGrace)
	a.hub.Shutdown()
	stopDoors()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		a.log.Warn("shutdown grace over, cutting connections")
		if a.telnet != nil {
			a.telnet.CloseAll()
		}
		if a.ssh != nil {
			a.ssh.CloseAll()
		}
		select {
		case <-done:
		case <-time.After(cutWait):
			a.log.Error("doors still busy after their connections were cut, not waiting for them", "users", a.hub.Online())
		}
	}
	close(stopWatch)
	watch.Wait()
	stopMetrics()
	stopCluster() // the sessions gone have let their names go
	a.node.close()
	slow := a.hub.SlowClients()
	a.log.Info("slow clients", "dropped_lines", slow.Dropped(), "cut", slow.Cut())
	storeCtx, cancel := context.WithDeadline(context.Background(), later(deadline, time.Now().Add(cutWait)))
	defer cancel()
	if cerr := a.closeStore(storeCtx); cerr != nil {
		a.log.Info("stopped", "err", cerr) // the store's writer may still write: the folder stays locked
		return errors.Join(err, cerr)
	}
	a.lock.release()
	a.log.Info("stopped")
	return err
}

// watchSlow logs the slow-client counts and the bytes queued for users,
// at most once every a.slowEvery and only when the counts grew, so that an
// operator sees slow readers; it returns once stop is closed.
func (a *App) watchSlow(stop <-chan struct{}) {
	tick := time.NewTicker(a.slowEvery)
	defer tick.Stop()
	slow := a.hub.SlowClients()
	var dropped, cut uint64
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		d, c := slow.Dropped(), slow.Cut()
		if d == dropped && c == cut {
			continue
		}
		dropped, cut = d, c
		a.log.Warn("slow clients", "dropped_lines", d, "cut", c, "queued_bytes", a.hub.QueuedBytes())
	}
}

func later(t, u time.Time) time.Time {
	if t.After(u) {
		return t
	}
	return u
}
