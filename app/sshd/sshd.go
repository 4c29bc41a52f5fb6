// Package sshd is the SSH door: a wish server whose SSH user name is the
// chat name. A session with a pty gets the Bubble Tea UI of package tui; a
// session without one speaks the line protocol of package lineproto, as
// the telnet door does.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/conncap"
	"chatserver/app/lineproto"
	"chatserver/app/proxied"
	"chatserver/chat"
	"chatserver/tui"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxConns         = 50000
	DefaultMaxConnsPerIP    = 200
	DefaultHandshakeTimeout = 20 * time.Second
	DefaultIdleTimeout      = 5 * time.Minute
	DefaultWriteTimeout     = 60 * time.Second
	DefaultMaxWidth         = 500
	DefaultMaxHeight        = 200

	// maxSessionsPerConn is how many sessions one SSH connection may have
	// open at once. They would all be the same user, who can be online
	// only once; OpenSSH's connection sharing gets a clear refusal.
	maxSessionsPerConn = 1
	// maxRefusing is how many connections over the caps may be kept at once
	// just long enough to tell them why; past that they are cut at once.
	maxRefusing = 64
	// resizeEvery is the shortest time between two window sizes handed to
	// a session's UI: a storm of window changes costs one redraw per tick.
	resizeEvery = 25 * time.Millisecond
	// shutdownLinger is how long a connection whose last session ended at
	// shutdown is left for its client to close, before the server does.
	shutdownLinger = 250 * time.Millisecond
)

// Config is what a Door is built from.
type Config struct {
	Addr          string // listen address, e.g. ":2222" or "127.0.0.1:0"
	HostKeyPath   string // the ed25519 host key, generated there if missing
	Hub           *chat.Hub
	Logger        *slog.Logger
	MaxConns      int // connections in total
	MaxConnsPerIP int // connections from one source address
	// ProxyFrom: connections from these addresses or CIDR ranges (a load
	// balancer's) must start with a PROXY header, whose source address
	// is then theirs (package proxied). Empty: no header is read.
	ProxyFrom []string

	// HandshakeTimeout bounds the SSH handshake and authentication; a
	// connection with no session open for that long is closed too.
	HandshakeTimeout time.Duration
	// IdleTimeout cuts a connection whose client sent nothing for that long.
	// The server asks live clients for a keepalive reply well within it, so
	// only dead or stuck clients are cut, not quiet readers.
	IdleTimeout time.Duration
	// WriteTimeout ends a session whose client stopped reading: a write
	// blocked this long closes the session.
	WriteTimeout time.Duration
	// MaxWidth and MaxHeight clamp the pty size a client asks for.
	MaxWidth, MaxHeight int

	// Operator reports whether the SSH key of that fingerprint is a
	// server operator's (--ops-file); nil: nobody is. It is asked once a
	// session, with the key the client proved; safe for concurrent use.
	Operator func(keyID string) bool

	// Line is the line protocol's options for sessions without a pty;
	// Door, Addr, Name, KeyID, Operator and Proven are set per session.
	// Its flood settings apply to the UI's typed lines too.
	Line lineproto.Options

	// ObserveFrame, if set, is given each SSH UI frame's time and bytes
	// (tui.Shared.ObserveFrame).
	ObserveFrame func(d time.Duration, bytes int)
}

// Door is the SSH listener and the connections it serves.
type Door struct {
	cfg Config
	log *slog.Logger
	srv *ssh.Server
	ln  net.Listener

	wg      sync.WaitGroup // accepted connections and session handlers
	closing atomic.Bool

	mu       sync.Mutex
	conns    map[*conn]struct{}
	caps     *conncap.Counter // the connections that count: all but those being refused
	flood    lineproto.Flood  // flood limits set while running (SetLimits)
	refused  *conncap.Refusals
	refusing int

	shared *tui.Shared // what the UI sessions share

	// onUpdate, if not nil, sees every message of every UI before its
	// model does, on the program's goroutine: a test's hook.
	onUpdate func(user string, msg tea.Msg)
}

// SetLimits changes the connection caps and, for connections made from
// now on, the flood limits. Safe for concurrent use.
func (d *Door) SetLimits(maxConns, maxConnsPerIP, floodBurst int, floodRate float64) {
	d.caps.SetCaps(maxConns, maxConnsPerIP)
	d.flood.Set(floodBurst, floodRate)
}

// New loads or generates the host key and listens on cfg.Addr.
func New(cfg Config) (*Door, error) {
	if cfg.Hub == nil {
		return nil, errors.New("ssh door: no hub")
	}
	if cfg.HostKeyPath == "" {
		return nil, errors.New("ssh door: no host key path")
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxWidth <= 0 {
		cfg.MaxWidth = DefaultMaxWidth
	}
	if cfg.MaxHeight <= 0 {
		cfg.MaxHeight = DefaultMaxHeight
	}
	if cfg.Line.WriteTimeout <= 0 {
		cfg.Line.WriteTimeout = cfg.WriteTimeout
	}
	cfg.Line.Door, cfg.Line.Telnet = "ssh", false
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Door{cfg: cfg, log: log, conns: map[*conn]struct{}{}, caps: conncap.New(cfg.MaxConns, cfg.MaxConnsPerIP), refused: conncap.NewRefusals("ssh", log),
		shared: tui.NewShared()}
	d.shared.ObserveFrame = cfg.ObserveFrame
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithVersion("chatserver"),
		wish.WithPublicKeyAuth(d.publicKey),
		wish.WithKeyboardInteractiveAuth(d.keyboardInteractive),
		wish.WithIdleTimeout(cfg.IdleTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh door: host key %s: %w", cfg.HostKeyPath, err)
	}
	srv.HandshakeTimeout = cfg.HandshakeTimeout
	srv.ConnCallback = d.accept
	srv.ConnectionFailedCallback = func(c net.Conn, err error) {
		d.log.Debug("ssh handshake failed", "addr", c.RemoteAddr().String(), "err", err)
	}
	srv.Handler = d.handle
	// Sessions only: no forwarding of any kind, and our own session
	// channel handler, which filters what reaches the library's.
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": d.sessionChannel}
	srv.RequestHandlers = map[string]ssh.RequestHandler{}
	d.srv = srv
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ssh listen %s: %w", cfg.Addr, err)
	}
	pln, err := proxied.Listen(ln, cfg.ProxyFrom)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("ssh door: %w", err)
	}
	d.ln = conncap.NewListener(pln, "ssh", log) // rides out a lack of descriptors
	return d, nil
}

// Addr returns the address the door listens on.
func (d *Door) Addr() net.Addr { return d.ln.Addr() }

// Run serves until ctx is done, then stops accepting; it returns after
// every connection it accepted has closed and every session handler has
// returned. Sessions end when the hub shuts down (their outboxes close);
// connections left without a session are then closed. Whatever is still
// open when CloseAll is called is cut.
func (d *Door) Run(ctx context.Context) error {
	if ctx.Err() != nil {
		// Stopped before it started: nothing to serve.
		d.ln.Close()
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- d.srv.Serve(d.ln) }()
	var err error
	select {
	case err = <-errc:
		d.CloseAll()
		err = fmt.Errorf("ssh serve: %w", err)
	case <-ctx.Done():
		d.mu.Lock()
		d.closing.Store(true) // under mu: no connection is counted after this
		d.mu.Unlock()
		d.closeIdle()
		// Not the library's Shutdown: its wait on its connections races
		// with a handshake that ends meanwhile (a WaitGroup Add during
		// Wait). Closing the listener stops Serve; d.wg below waits for
		// every connection, authenticated or not, as Shutdown would.
		d.ln.Close()
		<-errc
	}
	d.wg.Wait()
	return err
}

// CloseAll cuts every open connection; for a shutdown whose grace ran out.
func (d *Door) CloseAll() {
	d.srv.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		c.Conn.Close()
	}
}

// closeIdle closes every connection that has no session open.
func (d *Door) closeIdle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		if c.sessions == 0 {
			c.Conn.Close()
		}
	}
}

// accept is the server's ConnCallback: it counts the connection against
// the caps. One over a cap does not count; it is kept only long enough to
// be told why it is refused (at most HandshakeTimeout without a session,
// twice that in all), and past maxRefusing of those it is cut at once.
func (d *Door) accept(ctx ssh.Context, nc net.Conn) net.Conn {
	// From a trusted balancer: its PROXY header gives the user's address
	// (this runs on the connection's own goroutine, not the accept loop).
	if !proxied.Resolve(nc, "ssh", d.log) {
		return nil
	}
	c := &conn{Conn: nc, door: d, ip: conncap.Host(nc.RemoteAddr())}
	d.mu.Lock()
	if d.closing.Load() {
		d.mu.Unlock()
		nc.Close()
		return nil
	}
	c.over = !d.caps.Take(c.ip)
	if c.over && d.refusing >= maxRefusing {
		d.mu.Unlock()
		d.refused.Refused(nc.RemoteAddr().String())
		nc.Close()
		return nil
	}
	if c.over {
		d.refusing++
		c.limit = time.Now().Add(2 * d.cfg.HandshakeTimeout)
	}
	d.conns[c] = struct{}{}
	d.wg.Add(1)
	c.idle = time.AfterFunc(d.cfg.HandshakeTimeout, c.closeIfIdle)
	d.mu.Unlock()
	ctx.SetValue(connKey{}, c)
	return c
}

// release forgets c; it runs once, when c is closed.
func (d *Door) release(c *conn) {
	d.mu.Lock()
	c.gone = true
	delete(d.conns, c)
	if c.over {
		d.refusing--
	} else {
		d.caps.Give(c.ip)
	}
	c.idle.Stop()
	if c.keep != nil {
		c.keep.Stop()
	}
	d.mu.Unlock()
	d.wg.Done()
}

// connKey is the ssh.Context key of a connection's *conn.
type connKey struct{}

// conn is one accepted TCP connection, as the SSH server sees it.
type conn struct {
	net.Conn
	door  *Door
	ip    string
	over  bool      // accepted over a cap: it only gets told so
	limit time.Time // no deadline is set later than this, if not zero
	// deadline is the deadline last set, in unix nanoseconds (0: none).
	// Racing setters may both pass theirs on; then either may stay.
	deadline atomic.Int64
	once     sync.Once

	// guarded by door.mu
	gone     bool        // released: no session may start
	channels int         // session channels open
	refused  bool        // a session channel was refused
	sessions int         // sessions running
	idle     *time.Timer // closes the connection while it has no session
	keep     *time.Timer // asks the client for a keepalive reply
	ssh      *gossh.ServerConn
}

// Close closes the connection and releases its slot.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.door.release(c) })
	return err
}

// SetDeadline sets the read and write deadlines, never later than c.limit.
// The SSH server calls it for its handshake and idle timeouts, before
// every read and every write, each time a little later; moving the
// runtime's two deadline timers cost more than encrypting the packet. A
// deadline less than deadlineSlack after the one set is therefore not
// passed on: the idle timeout may end a connection up to that much early.
// Earlier and cleared deadlines always are.
func (c *conn) SetDeadline(t time.Time) error {
	if !c.limit.IsZero() && (t.IsZero() || t.After(c.limit)) {
		t = c.limit
	}
	var at int64 // unix nanoseconds, 0 for none
	if !t.IsZero() {
		at = t.UnixNano()
		if set := c.deadline.Load(); set != 0 && at >= set && at-set < int64(c.door.deadlineSlack()) {
			return nil
		}
	}
	c.deadline.Store(at)
	return c.Conn.SetDeadline(t)
}

// deadlineSlack is how much later than the one set a deadline must be to
// be passed on: an eighth of the idle timeout, at most 10 s.
func (d *Door) deadlineSlack() time.Duration {
	return min(d.cfg.IdleTimeout/8, 10*time.Second)
}

func (c *conn) closeIfIdle() {
	c.door.mu.Lock()
	idle := c.sessions == 0
	c.door.mu.Unlock()
	if idle {
		c.Conn.Close() // the server's own Close of c follows and releases it
	}
}

// keepalive asks the client for a reply, so that a live client is never
// idle for IdleTimeout, then re-arms itself. It runs on its timer. A
// client that gives no reply within IdleTimeout is cut: the server's idle
// deadline alone would keep it, since every line written to it counts as
// activity there, so a client whose link dropped without a word would
// stay online (a ghost holding its name) for as long as its room is busy.
func (c *conn) keepalive() {
	c.door.mu.Lock()
	sc := c.ssh
	c.door.mu.Unlock()
	silent := time.AfterFunc(c.door.cfg.IdleTimeout, c.cut)
	_, _, err := sc.SendRequest("keepalive@openssh.com", true, nil)
	silent.Stop()
	if err != nil {
		return
	}
	c.door.mu.Lock()
	if !c.gone {
		c.keep.Reset(c.door.cfg.IdleTimeout / 3)
	}
	c.door.mu.Unlock()
}

// open counts a new session on c, in the door's WaitGroup too; it reports
// false if c is closed or has too many sessions.
func (c *conn) open(ctx ssh.Context) (ok, tooMany bool) {
	d := c.door
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.gone {
		return false, false
	}
	if c.sessions >= maxSessionsPerConn {
		return false, true
	}
	c.sessions++
	d.wg.Add(1)
	c.idle.Stop()
	if c.keep == nil {
		if sc, ok := ctx.Value(ssh.ContextKeyConn).(*gossh.ServerConn); ok {
			c.ssh = sc
			c.keep = time.AfterFunc(d.cfg.IdleTimeout/3, c.keepalive)
		}
	}
	return true, false
}

// done counts a session of c as ended.
func (c *conn) done() {
	d := c.door
	d.mu.Lock()
	c.sessions--
	if c.sessions == 0 && !c.gone {
		if d.closing.Load() {
			c.idle.Reset(shutdownLinger) // the client usually hangs up first
		} else {
			c.idle.Reset(d.cfg.HandshakeTimeout)
		}
	}
	d.mu.Unlock()
	d.wg.Done()
}
