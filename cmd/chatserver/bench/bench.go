// Package bench is the load generator behind chatserver bench. It logs
// users in through a door (telnet, or SSH with or without a pty), has some
// of them send lines at a rate for a while, and checks that every line
// reached every other member of its room exactly once: each line carries a
// unique id and its send time ("b<sender>-<seq>-<unix nanoseconds>"), and
// every receiver keeps a bit per line. It measures logins a second,
// deliveries a second, the latency of each delivery in a log-linear
// histogram, and, given the server's pid, the server's CPU time per
// delivery and its memory.
//
// Given several addresses (the nodes of a cluster), it spreads each room's
// users over them round-robin and checks, besides exactly-once, that every
// reader of a room sees the room's lines in one order, the same on every
// node (see order.go); it reports latency per node and the CPU time of
// several server processes summed. cluster.sh runs it against a 3-node
// cluster beside a single node.
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chatserver/chat"
)

// Door is how the load generator reaches the server.
type Door string

// The doors.
const (
	DoorTelnet   Door = "telnet"    // the line protocol over TCP
	DoorSSH      Door = "ssh"       // SSH with a pty: the full-screen UI
	DoorSSHNoPty Door = "ssh-nopty" // SSH without a pty: the line protocol
)

// DefaultRoom is the room a run uses unless told otherwise: a room of its
// own, so that a benchmark's lines never land in the history of the room
// everyone starts in.
const DefaultRoom = "bench"

// ErrRemoteTarget is returned for a target that is not on this machine's
// loopback, unless Config.AllowRemote is set.
var ErrRemoteTarget = errors.New("target is not a loopback address (use --allow-remote to load another host)")

// Config describes a run. Zero values get the defaults noted.
type Config struct {
	Addr             string        // host:port of the door, or several separated by commas (the nodes of a cluster); loopback unless AllowRemote
	AllowRemote      bool          // allow a target that is not loopback
	Door             Door          // DoorTelnet if ""
	Users            int           // users to log in, stalled ones included; 10 if 0
	Senders          int           // users that send, never stalled ones
	Rate             float64       // lines a second per sender; 0 = as fast as Window allows
	Window           int           // Rate 0: lines a sender may have in flight (not yet seen by every reader of its room); 500/Senders if 0
	Duration         time.Duration // how long the senders send; 0 = log in, measure, log out
	Drain            time.Duration // how long to wait for the last lines after sending; 10s if 0
	Size             int           // message length in bytes (the id takes ~30); 64 if 0
	Stalled          int           // users that log in and then never read
	Room             string        // room everyone joins; DefaultRoom if ""
	Rooms            int           // spread users over this many rooms Room1..RoomN (1: just Room)
	SourceIPs        int           // bind each connection to one of this many addresses from 127.0.0.1 up
	PtyWidth         int           // DoorSSH: the pty size; 120x40 if 0
	PtyHeight        int           //
	LoginConcurrency int           // logins at once; 64 if 0
	LoginTimeout     time.Duration // one user's login; 30s if 0
	ServerPID        int           // read the server's CPU time and memory from /proc, if not 0
	ServerPIDs       []int         // more server processes (a cluster's nodes): their CPU time and memory are added up
	Name             string        // user name prefix; random if "", at most 10 characters
	// Progress, if set, is called about ten times a second, and once more
	// with each phase's last state when it ends; never twice at once, and
	// not after Run returns.
	Progress func(Progress)
	Logger   *slog.Logger
}

// Progress is how far a run is.
type Progress struct {
	Phase   string // "login", "settle", "send", "drain"
	Done    int64  // users logged in, or lines delivered
	Total   int64  // users to log in, or lines due so far
	Elapsed time.Duration
	Length  time.Duration // of the send phase
}

// defaults fills in zero fields and checks the rest.
func (cfg *Config) defaults() error {
	if cfg.Door == "" {
		cfg.Door = DoorTelnet
	}
	switch cfg.Door {
	case DoorTelnet, DoorSSH, DoorSSHNoPty:
	default:
		return fmt.Errorf("door %q: want telnet, ssh or ssh-nopty", cfg.Door)
	}
	if cfg.Users == 0 {
		cfg.Users = 10
	}
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.Drain == 0 {
		cfg.Drain = 10 * time.Second
	}
	if cfg.Room == "" {
		cfg.Room = DefaultRoom
	}
	if cfg.Rooms == 0 {
		cfg.Rooms = 1
	}
	if cfg.PtyWidth == 0 {
		cfg.PtyWidth = 120
	}
	if cfg.PtyHeight == 0 {
		cfg.PtyHeight = 40
	}
	if cfg.LoginConcurrency == 0 {
		cfg.LoginConcurrency = 64
	}
	if cfg.LoginTimeout == 0 {
		cfg.LoginTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Users < 0 || cfg.Senders < 0 || cfg.Stalled < 0 || cfg.Rate < 0 || cfg.Duration < 0 || cfg.Size < 0 || cfg.Window < 0 || cfg.SourceIPs < 0:
		return errors.New("users, senders, stalled, rate, duration, size, window and source-ips cannot be negative")
	case cfg.Senders+cfg.Stalled > cfg.Users:
		return fmt.Errorf("%d senders and %d stalled users need more than %d users", cfg.Senders, cfg.Stalled, cfg.Users)
	case cfg.Rooms < 1 || cfg.Rooms > cfg.Users:
		return fmt.Errorf("rooms %d: want 1 to users", cfg.Rooms)
	case cfg.LoginConcurrency < 1:
		return errors.New("login concurrency must be at least 1")
	case cfg.PtyWidth < 20 || cfg.PtyHeight < 5 || cfg.PtyWidth > 1000 || cfg.PtyHeight > 1000:
		return fmt.Errorf("pty %dx%d: want at least 20x5", cfg.PtyWidth, cfg.PtyHeight)
	case len(cfg.Name) > 10:
		return fmt.Errorf("name prefix %q: at most 10 characters", cfg.Name)
	}
	if cfg.Window == 0 && cfg.Senders > 0 {
		cfg.Window = max(1, 500/cfg.Senders)
	}
	if cfg.Name == "" {
		cfg.Name = "u" + nonce(3)
	}
	for _, pid := range cfg.ServerPIDs {
		if pid <= 0 {
			return fmt.Errorf("server pid %d: want a process id", pid)
		}
	}
	return nil
}

// addrs splits Addr into the addresses users are spread over.
func (cfg *Config) addrs() ([]string, error) {
	addrs := strings.Split(cfg.Addr, ",")
	for i, a := range addrs {
		addrs[i] = strings.TrimSpace(a)
		if addrs[i] == "" {
			return nil, fmt.Errorf("addr %q: an empty address", cfg.Addr)
		}
	}
	if len(addrs) > cfg.Users {
		return nil, fmt.Errorf("addr %q: %d addresses for %d users", cfg.Addr, len(addrs), cfg.Users)
	}
	return addrs, nil
}

// pids returns the server processes to read: ServerPID, then ServerPIDs.
func (cfg *Config) pids() []int {
	var pids []int
	if cfg.ServerPID != 0 {
		pids = append(pids, cfg.ServerPID)
	}
	return append(pids, cfg.ServerPIDs...)
}

// CheckTarget returns an error wrapping ErrRemoteTarget unless addr is on
// this machine's loopback (127.0.0.0/8, ::1, "localhost", or no host) or
// allowRemote is set. A name is resolved and every address must be loopback.
func CheckTarget(ctx context.Context, addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("target %q: %w", addr, err)
	}
	if allowRemote || host == "" || strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("target %s: %w", addr, ErrRemoteTarget)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("target %s: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("target %s (%s): %w", addr, ip.IP, ErrRemoteTarget)
		}
	}
	return nil
}

// sourceIP returns the local address for connection i of n: 127.0.0.1 and up.
func sourceIP(i, n int) net.IP {
	v := uint32(127<<24) + 1 + uint32(i%n)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func nonce(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// user is one simulated user.
type user struct {
	idx     int
	name    string
	room    int
	node    int // index of the address it logs in through
	sender  int // sender slot, -1 if it does not send
	stalled bool
	sess    session
	recv    *receiver
}

// session is a logged-in connection: what is written to it is typed, what
// is read from it is the server's output.
type session interface {
	io.ReadWriter
	Close() error
}

// run is the state of one Run.
type run struct {
	cfg   Config
	log   *slog.Logger
	addrs []string // Config.Addr split: the nodes
	pids  []int    // server processes
	rooms []string
	users []*user
	led   *ledger
	door  doorClient

	flood   atomic.Int64 // "sending too fast" lines seen
	dropped atomic.Int64 // lines the server said it dropped
	other   atomic.Int64 // lines that were not ids
	closed  atomic.Int64 // connections the server closed during the run
	closing atomic.Bool  // the run closes its connections: readers end

	acked  []atomic.Int64 // Rate 0: per sender, lines every reader of its room has
	ticker ticker
}

// doorClient logs users in through one door.
type doorClient interface {
	// login connects u and logs it in; the returned session is in u's room.
	login(ctx context.Context, r *run, u *user) (session, error)
	// reader returns the function that reads u's session until it ends.
	reader(r *run, u *user) func()
	// lineEnd is what ends a typed line.
	lineEnd() string
}

// Run performs one load run against cfg.Addr and returns what it measured.
// It returns early, with the figures so far, if ctx is done while lines
// are sent; an error if a login fails or ctx is done before.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	addrs, err := cfg.addrs()
	if err != nil {
		return nil, err
	}
	for _, addr := range addrs {
		if err := CheckTarget(ctx, addr, cfg.AllowRemote); err != nil {
			return nil, err
		}
		if cfg.SourceIPs > 0 && cfg.AllowRemote {
			if host, _, _ := net.SplitHostPort(addr); host != "" && CheckTarget(ctx, addr, false) != nil {
				return nil, errors.New("source-ips binds loopback addresses and cannot reach another host")
			}
		}
	}
	r := &run{cfg: cfg, log: cfg.Logger, addrs: addrs, pids: cfg.pids()}
	switch cfg.Door {
	case DoorTelnet:
		r.door = telnetDoor{}
	case DoorSSH, DoorSSHNoPty:
		d, err := newSSHDoor(cfg)
		if err != nil {
			return nil, err
		}
		r.door = d
	}
	r.plan()
	return r.execute(ctx)
}

// plan names the users and rooms and places them: user i in room
// i%Rooms, the first Senders users send, the last Stalled users stall.
// With several addresses, the j-th user of room k logs in through address
// (j+k)%len(addrs): each room's members, its senders first, go round the
// nodes, and the rooms start on different nodes.
func (r *run) plan() {
	cfg := r.cfg
	r.rooms = make([]string, cfg.Rooms)
	for i := range r.rooms {
		r.rooms[i] = cfg.Room
		if cfg.Rooms > 1 {
			r.rooms[i] = fmt.Sprintf("%s%d", cfg.Room, i+1)
		}
	}
	senderRooms := make([]int, cfg.Senders)
	readers := make([]int, cfg.Rooms)
	r.users = make([]*user, cfg.Users)
	for i := range r.users {
		u := &user{idx: i, name: fmt.Sprintf("%s%d", cfg.Name, i), room: i % cfg.Rooms, sender: -1,
			node: (i/cfg.Rooms + i%cfg.Rooms) % len(r.addrs)}
		if i < cfg.Senders {
			u.sender = i
			senderRooms[i] = u.room
		}
		u.stalled = i >= cfg.Users-cfg.Stalled
		if !u.stalled {
			readers[u.room]++
		}
		r.users[i] = u
	}
	r.led = newLedger(time.Now(), senderRooms, readers, len(r.addrs), cfg.Door == DoorSSH)
	for _, u := range r.users {
		if !u.stalled {
			u.recv = r.led.addReceiver(u.room, u.sender, u.node)
		}
	}
	r.acked = make([]atomic.Int64, cfg.Senders)
	r.ticker.ch = make(chan struct{})
}

func (r *run) execute(ctx context.Context) (*Result, error) {
	cfg := r.cfg
	res := &Result{
		Door: string(cfg.Door), Addr: cfg.Addr, Users: cfg.Users, Senders: cfg.Senders,
		Stalled: cfg.Stalled, Rooms: cfg.Rooms, Rate: cfg.Rate, Size: cfg.Size, Window: cfg.Window,
	}
	if cfg.Door == DoorSSH {
		res.Pty = fmt.Sprintf("%dx%d", cfg.PtyWidth, cfg.PtyHeight)
	}
	if len(r.addrs) > 1 {
		res.Nodes = make([]NodeResult, len(r.addrs))
		for i, addr := range r.addrs {
			res.Nodes[i].Addr = addr
		}
		for _, u := range r.users {
			res.Nodes[u.node].Users++
		}
	}
	if len(r.pids) > 0 {
		for _, pid := range r.pids {
			if _, _, err := procCPU(pid); err != nil {
				return nil, fmt.Errorf("server pid %d: %w", pid, err)
			}
		}
		res.Server = &ServerStats{PID: r.pids[0]}
		if len(r.pids) > 1 {
			res.Server.PIDs = r.pids
		}
		res.Server.RSSStart = r.serverRSS()
	}

	var readers sync.WaitGroup
	defer readers.Wait()
	defer r.closeAll()

	progress := newProgressLoop(cfg.Progress)
	defer progress.stop()

	// Log in.
	var lcpu0, lself0, lcpu1, lself1 cpuTime
	if res.Server != nil {
		lcpu0.readAll(r.pids)
	}
	lself0.read(0)
	if err := r.loginAll(ctx, res, &readers, progress); err != nil {
		return nil, err
	}
	lself1.read(0)
	if res.Server != nil {
		lcpu1.readAll(r.pids)
		res.Server.LoginCPU = seconds(lcpu1.user + lcpu1.sys - lcpu0.user - lcpu0.sys)
		if res.Logins > 0 {
			res.Server.CPUPerLogin = 1e6 * res.Server.LoginCPU / float64(res.Logins)
		}
	}
	if res.LoginTime > 0 {
		res.LoginClientCPUPercent = 100 * (lself1.user + lself1.sys - lself0.user - lself0.sys).Seconds() / res.LoginTime
	}

	// Let the join lines settle, then measure.
	progress.set(func() Progress { return Progress{Phase: "settle"} })
	r.settle(ctx)
	if res.Server != nil {
		res.Server.RSSLoggedIn = r.serverRSS()
		if cfg.Users > 0 {
			res.Server.RSSPerUser = float64(res.Server.RSSLoggedIn-res.Server.RSSStart) / float64(cfg.Users)
		}
	}
	otherBefore := r.other.Load()
	var cpu0, self0 cpuTime
	if res.Server != nil {
		cpu0.readAll(r.pids)
	}
	self0.read(0)

	// Send.
	start := time.Now()
	sendCtx, stopSending := context.WithTimeout(ctx, cfg.Duration)
	defer stopSending()
	progress.set(func() Progress {
		return Progress{Phase: "send", Done: r.led.delivered(), Total: r.led.expected(), Elapsed: time.Since(start), Length: cfg.Duration}
	})
	var senders sync.WaitGroup
	errc := make(chan error, cfg.Senders)
	for _, u := range r.users[:cfg.Senders] {
		senders.Go(func() {
			if err := r.send(sendCtx, u, start); err != nil {
				errc <- err
				stopSending()
			}
		})
	}
	if cfg.Rate == 0 && cfg.Senders > 0 {
		senders.Go(func() { r.windowLoop(sendCtx) })
	}
	<-sendCtx.Done()
	res.Duration = seconds(time.Since(start))
	// A sender still in Write a second later is stuck: the server does not
	// read its input. Closing the sessions at the end frees it.
	sendersDone := make(chan struct{})
	go func() { senders.Wait(); close(sendersDone) }()
	defer func() {
		r.closeAll()
		<-sendersDone
	}()
	select {
	case <-sendersDone:
	case <-time.After(time.Second):
		res.Errors = append(res.Errors, fmt.Sprintf("senders blocked writing for over %.1fs: the server stopped reading their input", time.Since(start).Seconds()-cfg.Duration.Seconds()))
	}
	select {
	case err := <-errc:
		res.Errors = append(res.Errors, err.Error())
	default:
	}
	if ctx.Err() != nil {
		res.Interrupted = true
	}

	// Drain: wait for the last lines, up to Drain.
	progress.set(func() Progress {
		return Progress{Phase: "drain", Done: r.led.delivered(), Total: r.led.expected(), Elapsed: time.Since(start), Length: cfg.Duration}
	})
	last := r.drain(ctx, start)
	var cpu1, self1 cpuTime
	if res.Server != nil {
		cpu1.readAll(r.pids)
	}
	self1.read(0)
	progress.stop()

	// Stop reading and count.
	res.StalledEnded = r.stalledEnded()
	r.closeAll()
	readers.Wait()
	t := r.led.tally()
	res.Sent, res.Expected, res.Delivered = t.Sent, t.Expected, t.Delivered
	res.Missing, res.Duplicates, res.Redraws, res.Stray, res.Stale, res.Torn = t.Missing, t.Duplicates, t.Redraws, t.Stray, t.Stale, t.Torn
	res.MissingReceivers = t.MissingReceivers
	res.ServerDropped = r.dropped.Load()
	res.FloodWarnings = r.flood.Load()
	res.OtherLines = r.other.Load() - otherBefore
	res.Disconnected = r.closed.Load()
	if span := last.Sub(start); span > 0 && t.Delivered > 0 {
		res.DeliverySpan = seconds(span)
		res.DeliveriesPerSec = float64(t.Delivered) / span.Seconds()
	}
	res.Latency = latencyOf(r.led.lat.Snapshot())
	r.orderResult(res)
	for i := range res.Nodes {
		n := &res.Nodes[i]
		for _, u := range r.users {
			if u.node == i && u.recv != nil {
				n.Delivered += u.recv.unique.Load()
			}
		}
		n.Latency = latencyOf(r.led.nodeLatency(i))
	}
	res.ExactlyOnce = t.Delivered == t.Expected && t.Missing == 0 && t.Duplicates == 0 && t.Stray == 0
	if res.Server != nil {
		s := res.Server
		s.RSSEnd = r.serverRSS()
		s.CPUUser = seconds(cpu1.user - cpu0.user)
		s.CPUSys = seconds(cpu1.sys - cpu0.sys)
		if wall := last.Sub(start); wall > 0 {
			s.CPUPercent = 100 * (s.CPUUser + s.CPUSys) / wall.Seconds()
		}
		if t.Delivered > 0 {
			s.CPUPerDelivery = 1e6 * (s.CPUUser + s.CPUSys) / float64(t.Delivered)
		}
	}
	if wall := last.Sub(start); wall > 0 && cfg.Senders > 0 && cfg.Duration > 0 {
		res.ClientCPUPercent = 100 * (self1.user + self1.sys - self0.user - self0.sys).Seconds() / wall.Seconds()
	}
	return res, nil
}

// orderResult runs the order check and puts its outcome in res.
func (r *run) orderResult(res *Result) {
	o := r.led.order()
	res.OrderChecked, res.OrderViolations, res.OrderNotInReference, res.OrderUnchecked = o.Checked, o.Violations, o.NotInRef, o.Unchecked
	res.InOrder = o.Violations == 0
	if o.First == nil {
		return
	}
	who := func(recv int) string {
		for _, u := range r.users {
			if u.recv == r.led.recv[recv] {
				return fmt.Sprintf("%s (on %s)", u.name, r.addrs[u.node])
			}
		}
		return "?"
	}
	line := func(l lineRef) string { return fmt.Sprintf("b%d-%d", l.Sender, l.Seq) }
	f := o.First
	res.OrderFirst = fmt.Sprintf("%s got %s right after %s; %s got them in the other order",
		who(f.Receiver), line(f.After), line(f.Before), who(f.Reference))
}

// loginAll logs every user in, LoginConcurrency at a time, and starts the
// readers of those that read.
func (r *run) loginAll(ctx context.Context, res *Result, readers *sync.WaitGroup, progress *progressLoop) error {
	cfg := r.cfg
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		done     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
		hist     Histogram
	)
	progress.set(func() Progress {
		return Progress{Phase: "login", Done: done.Load(), Total: int64(cfg.Users)}
	})
	start := time.Now()
	for range min(cfg.LoginConcurrency, cfg.Users) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(r.users) {
					return
				}
				u := r.users[i]
				t0 := time.Now()
				lctx, lcancel := context.WithTimeout(ctx, cfg.LoginTimeout)
				s, err := r.door.login(lctx, r, u)
				lcancel()
				if err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("login %s (user %d of %d): %w", u.name, i+1, cfg.Users, err)
						cancel()
					})
					return
				}
				hist.Record(time.Since(t0))
				u.sess = s
				if !u.stalled {
					readers.Go(r.door.reader(r, u))
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.Logins = int(done.Load())
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res.LoginTime = seconds(elapsed)
	if elapsed > 0 {
		res.LoginsPerSec = float64(res.Logins) / elapsed.Seconds()
	}
	res.LoginLatency = latencyOf(hist.Snapshot())
	return nil
}

// settle waits until no reader has received anything for a while (the
// join lines of the last logins), at most a minute.
func (r *run) settle(ctx context.Context) {
	const quiet = 300 * time.Millisecond
	deadline := time.Now().Add(time.Minute)
	last, lastChange := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := r.other.Load()
		for _, u := range r.users {
			if u.recv != nil {
				n += u.recv.unique.Load() + u.recv.redraw.Load()
			}
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) >= quiet {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drain waits until every line sent has been delivered, nothing has
// arrived for Drain, or ctx is done. It returns when the last line came.
func (r *run) drain(ctx context.Context, start time.Time) time.Time {
	want := r.led.expected()
	lastN, lastAt := int64(-1), time.Now()
	for {
		n := r.led.delivered()
		if n != lastN {
			lastN, lastAt = n, time.Now()
		}
		if n >= want || ctx.Err() != nil || time.Since(lastAt) > r.cfg.Drain || r.cfg.Senders == 0 {
			if r.cfg.Senders == 0 {
				return time.Now()
			}
			return lastAt
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// send is sender u's loop: Rate lines a second, or Rate 0 as many as the
// window allows, until ctx is done. Lines due together go in one write.
// With a rate, the senders' schedules are spread evenly over a line's
// interval from t0, so that they do not all send at the same instant.
func (r *run) send(ctx context.Context, u *user, t0 time.Time) error {
	const maxBatch = 256
	cfg := r.cfg
	end := r.door.lineEnd()
	var buf []byte
	start := t0
	if cfg.Rate > 0 {
		start = t0.Add(time.Duration(float64(u.sender) / float64(cfg.Senders) / cfg.Rate * float64(time.Second)))
	}
	seq := 0
	for ctx.Err() == nil {
		var k int
		if cfg.Rate > 0 {
			due := int(math.Floor(time.Since(start).Seconds()*cfg.Rate)) + 1 - seq
			if due <= 0 {
				next := start.Add(time.Duration(float64(seq) / cfg.Rate * float64(time.Second)))
				t := time.NewTimer(time.Until(next))
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
				continue
			}
			k = min(due, maxBatch)
		} else {
			tick := r.ticker.wait()
			k = min(cfg.Window-(seq-int(r.acked[u.sender].Load())), maxBatch)
			if k <= 0 {
				select {
				case <-ctx.Done():
				case <-tick:
				}
				continue
			}
		}
		k = min(k, maxSeq-seq)
		if k <= 0 {
			return nil // a sender never sends more than maxSeq lines
		}
		now := time.Now().UnixNano()
		buf = buf[:0]
		for range k {
			r.led.send(u.sender, seq, now)
			n := len(buf)
			buf = appendID(buf, u.sender, seq, now)
			if pad := cfg.Size - (len(buf) - n); pad > 1 {
				buf = append(buf, ' ')
				for range pad - 1 {
					buf = append(buf, 'x')
				}
			}
			buf = append(buf, end...)
			seq++
		}
		if _, err := u.sess.Write(buf); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("send as %s: %w", u.name, err)
		}
	}
	return nil
}

// windowLoop works out, every millisecond or so, how many lines of each
// sender every reader of its room has, and wakes the senders waiting for
// it. With many readers the pass itself takes time; it then waits four
// times as long as the pass took, so that it uses a fifth of a core at most.
func (r *run) windowLoop(ctx context.Context) {
	for {
		t0 := time.Now()
		for s := range r.acked {
			r.acked[s].Store(r.led.sent[s].Load() - r.led.inflight(s))
		}
		r.ticker.fire()
		t := time.NewTimer(max(time.Millisecond, 4*time.Since(t0)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// closeAll closes every session; the readers then end.
func (r *run) closeAll() {
	r.closing.Store(true)
	for _, u := range r.users {
		if u.sess != nil {
			u.sess.Close()
		}
	}
}

// stalledEnded returns how many stalled telnet users the server has
// disconnected: their connection, drained of what it holds, is at its end.
func (r *run) stalledEnded() int {
	n := 0
	buf := make([]byte, 64<<10)
	for _, u := range r.users {
		ts, ok := u.sess.(*telnetSession)
		if !u.stalled || !ok {
			continue
		}
		ts.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		for {
			if _, err := ts.Read(buf); err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					n++
				}
				break
			}
		}
	}
	return n
}

// ended is called by a reader whose session ended.
func (r *run) ended() {
	if !r.closing.Load() {
		r.closed.Add(1)
	}
}

// noteSystem looks at a line of the server's own for what the run reports:
// flood control at work and lines dropped for a slow reader.
func (r *run) noteSystem(text []byte) {
	s := string(text)
	switch {
	case s == chat.TextTooFast:
		r.flood.Add(1)
	case strings.HasSuffix(s, droppedSuffix):
		var n int64
		fmt.Sscan(strings.TrimSuffix(s, droppedSuffix), &n)
		r.dropped.Add(n)
	}
}

// droppedSuffix ends the line a slow reader gets about lines it lost.
var droppedSuffix = strings.TrimPrefix(chat.DroppedText(0), "0")

// ticker wakes every goroutine waiting on it at once.
type ticker struct {
	mu sync.Mutex
	ch chan struct{}
}

func (t *ticker) wait() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ch
}

func (t *ticker) fire() {
	t.mu.Lock()
	close(t.ch)
	t.ch = make(chan struct{})
	t.mu.Unlock()
}

// progressLoop calls a Progress function ten times a second with what the
// current phase reports, and once more with a phase's last state when the
// phase ends (set, stop), so that a bar ends at 30/30 and not at 29/30.
// The calls never overlap.
type progressLoop struct {
	fn   func(Progress)
	mu   sync.Mutex // guards get; held while fn runs, so calls never overlap
	get  func() Progress
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newProgressLoop(fn func(Progress)) *progressLoop {
	p := &progressLoop{fn: fn, done: make(chan struct{})}
	if fn == nil {
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
			}
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	})
	return p
}

// draw reports the current phase, if any. p.mu must be held.
func (p *progressLoop) draw() {
	if p.fn != nil && p.get != nil {
		p.fn(p.get())
	}
}

// set ends the current phase with its last state and starts reporting get.
func (p *progressLoop) set(get func() Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	p.get = get
}

// stop reports the current phase's last state; fn is not called again
// once stop returns.
func (p *progressLoop) stop() {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.draw()
		p.get = nil
	})
}

type cpuTime struct{ user, sys time.Duration }

// read reads the CPU time of process pid, 0 for this one.
func (c *cpuTime) read(pid int) {
	c.user, c.sys, _ = procCPU(pid)
}

// readAll reads the CPU time of processes pids added up.
func (c *cpuTime) readAll(pids []int) {
	*c = cpuTime{}
	for _, pid := range pids {
		u, s, _ := procCPU(pid)
		c.user += u
		c.sys += s
	}
}

// serverRSS returns the resident set sizes of the server processes added up.
func (r *run) serverRSS() int64 {
	var n int64
	for _, pid := range r.pids {
		b, _ := procRSS(pid)
		n += b
	}
	return n
}

func seconds(d time.Duration) float64 { return d.Seconds() }
