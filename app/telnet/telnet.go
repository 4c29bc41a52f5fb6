// Package telnet is the line door: the original chatserver's telnet
// protocol on a TCP listener.
package telnet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"chatserver/app/conncap"
	"chatserver/app/lineproto"
	"chatserver/app/proxied"
	"chatserver/chat"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxConns      = 50000
	DefaultMaxConnsPerIP = 200
	sendBuffer           = 64 << 10
)

// Config is what a Door is built from.
type Config struct {
	Addr          string       // listen address, e.g. ":8999" or "127.0.0.1:0"
	Listener      net.Listener // if set, served instead of listening on Addr (tests)
	Hub           *chat.Hub
	Logger        *slog.Logger
	MaxConns      int // connections in total
	MaxConnsPerIP int // connections from one source address
	// ProxyFrom: connections from these addresses or CIDR ranges (a load
	// balancer's) must start with a PROXY header, whose source address
	// is then theirs (package proxied). Empty: no header is read.
	ProxyFrom []string
	Line      lineproto.Options
}

// Door is the telnet listener and the connections it serves.
type Door struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener
	// setSendBuffer: each accepted connection sets its send buffer (the
	// listener was not made by listen).
	setSendBuffer bool

	caps    *conncap.Counter
	refused *conncap.Refusals
	flood   lineproto.Flood

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// New listens on cfg.Addr.
func New(cfg Config) (*Door, error) {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	cfg.Line.Door, cfg.Line.Telnet = "telnet", true
	if cfg.Line.Logger == nil {
		cfg.Line.Logger = cfg.Logger
	}
	if cfg.Line.Pool == nil {
		cfg.Line.Pool = lineproto.NewWritePool()
	}
	ln, own := cfg.Listener, cfg.Listener == nil
	if own {
		var err error
		if ln, err = listen(cfg.Addr); err != nil {
			return nil, fmt.Errorf("telnet listen %s: %w", cfg.Addr, err)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pln, err := proxied.Listen(ln, cfg.ProxyFrom)
	if err != nil {
		if own {
			ln.Close()
		}
		return nil, fmt.Errorf("telnet: %w", err)
	}
	ln = conncap.NewListener(pln, "telnet", log)
	return &Door{cfg: cfg, log: log, ln: ln, caps: conncap.New(cfg.MaxConns, cfg.MaxConnsPerIP), refused: conncap.NewRefusals("telnet", log), conns: map[net.Conn]struct{}{},
		setSendBuffer: !own || !inheritsSendBuffer}, nil
}

// Addr returns the address the door listens on.
func (d *Door) Addr() net.Addr { return d.ln.Addr() }

// Run serves until ctx is done, then stops accepting; it returns after
// every connection it started has ended (each is told the server is
// shutting down). Connections still open when CloseAll is called are cut.
func (d *Door) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { d.ln.Close() })
	defer stop()
	for {
		// Out of file descriptors, or another passing failure: the
		// listener waits and tries again, so only closing ends it.
		conn, err := d.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("telnet accept: %w", err)
		}
		if proxied.Trusted(conn) {
			// Its header, and so its address, is read off this loop
			// (at most proxied.HeaderTimeout, or until shutdown).
			wg.Go(func() {
				stop := context.AfterFunc(ctx, func() { conn.Close() })
				ok := proxied.Resolve(conn, "telnet", d.log)
				if stop() && ok {
					d.start(ctx, &wg, conn)
				}
			})
			continue
		}
		d.start(ctx, &wg, conn)
	}
}

// start counts conn, accepted, against the caps and serves it on a
// goroutine of wg, or tells it why not.
func (d *Door) start(ctx context.Context, wg *sync.WaitGroup, conn net.Conn) {
	ip := conncap.Host(conn.RemoteAddr())
	if !d.admit(conn, ip) {
		d.refused.Refused(conn.RemoteAddr().String())
		wg.Go(func() {
			defer d.recoverConn(conn)
			refuse(conn, chat.TextTooMany)
		})
		return
	}
	wg.Go(func() {
		defer d.release(conn, ip)
		defer d.recoverConn(conn)
		if d.cfg.Hub.ServerBanned("", "", conn.RemoteAddr().String()) {
			d.log.Info("connection refused", "door", "telnet", "addr", conn.RemoteAddr().String(), "reason", "banned from the server")
			refuse(conn, chat.TextServerBanned)
			return
		}
		d.serve(ctx, conn)
	})
}

// Close stops listening; for a door that will not Run.
func (d *Door) Close() error { return d.ln.Close() }

// CloseAll cuts every open connection; for a shutdown whose grace ran out.
func (d *Door) CloseAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		c.Close()
	}
}

func (d *Door) serve(ctx context.Context, conn net.Conn) {
	if tc, ok := proxied.TCPConn(conn); ok && d.setSendBuffer {
		tc.SetWriteBuffer(sendBuffer)
	}
	opt := d.cfg.Line
	d.flood.Apply(&opt)
	opt.Addr = conn.RemoteAddr().String()
	d.log.Debug("connected", "door", "telnet", "addr", opt.Addr)
	if err := lineproto.Serve(ctx, d.cfg.Hub, conn, opt); err != nil {
		d.log.Debug("connection ended", "door", "telnet", "addr", opt.Addr, "err", err)
	}
}

// recoverConn is deferred by each goroutine of a connection: a panic
// ends that connection only, logged with its stack.
func (d *Door) recoverConn(conn net.Conn) {
	if v := recover(); v != nil {
		lineproto.LogPanic(d.log, v, "door", "telnet", "addr", conn.RemoteAddr().String())
		conn.Close()
	}
}

func (d *Door) admit(conn net.Conn, ip string) bool {
	if !d.caps.Take(ip) {
		return false
	}
	d.mu.Lock()
	d.conns[conn] = struct{}{}
	d.mu.Unlock()
	return true
}

func (d *Door) release(conn net.Conn, ip string) {
	d.mu.Lock()
	delete(d.conns, conn)
	d.mu.Unlock()
	d.caps.Give(ip)
}

// SetLimits changes the connection caps and, for connections made from
// now on, the flood limits. Safe for concurrent use.
func (d *Door) SetLimits(maxConns, maxConnsPerIP, floodBurst int, floodRate float64) {
	d.caps.SetCaps(maxConns, maxConnsPerIP)
	d.flood.Set(floodBurst, floodRate)
}

// refuse tells a connection why it is closed (over the caps, banned from
// the server), and closes it.
func refuse(conn net.Conn, text string) {
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("<" + chat.SystemName + "> " + text + "\n"))
	conn.Close()
}
