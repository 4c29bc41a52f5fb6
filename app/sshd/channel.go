package sshd

import (
	"context"
	"encoding/binary"
	"sync"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/chat"
)

// Limits on what one connection may ask of the server before it is served.
const (
	// maxChannelsPerConn is how many session channels one connection may
	// have open at once. Only one of them may run a session
	// (maxSessionsPerConn); one more is let open so that a client sharing
	// its connection (OpenSSH's ControlMaster) hears why it is refused.
	// Past that a channel is refused when it is opened, before it costs a
	// goroutine or a buffer.
	maxChannelsPerConn = 2
	// maxEnvCount and maxEnvBytes bound the "env" requests one session
	// channel may send before its shell: the library keeps every one.
	// Past either, and once the session runs, they are refused.
	maxEnvCount = 32
	maxEnvBytes = 8 << 10
)

// jsonCommand is the one exec command the door serves: the line protocol
// with JSON lines out (PROTOCOL.md, "JSON lines for bots"). Any other
// command is refused with unknownCommand's line.
const jsonCommand = "json"

// servesJSON reports whether s asked for JSON lines: an exec request whose
// command is jsonCommand, exactly.
func servesJSON(s ssh.Session) bool { return s.RawCommand() == jsonCommand }

// chanKey is the key of a session channel's *channel in its session's
// ssh.Context.
type chanKey struct{}

// channel is what the door keeps of one session channel: the window size
// the client last sent, which the library is never handed (see filter).
type channel struct {
	mu     sync.Mutex
	win    ssh.Window
	hasWin bool          // a window-change came
	winC   chan struct{} // one slot: a window-change came since the last window
}

// window returns the size the client last sent, if it sent any.
func (ch *channel) window() (ssh.Window, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.win, ch.hasWin
}

// setWindow keeps win as the latest size and wakes whoever waits on winC;
// it never blocks.
func (ch *channel) setWindow(win ssh.Window) {
	ch.mu.Lock()
	ch.win, ch.hasWin = win, true
	ch.mu.Unlock()
	select {
	case ch.winC <- struct{}{}:
	default:
	}
}

// channelOf returns the door's record of s's channel, nil if s did not
// come through sessionChannel.
func channelOf(s ssh.Session) *channel {
	ch, _ := s.Context().Value(chanKey{}).(*channel)
	return ch
}

// sessionChannel is the server's handler of "session" channels, the only
// type it accepts. It refuses a channel past maxChannelsPerConn, and puts
// filter between the channel's requests and the library's session, whose
// request loop keeps every env request, answers agent forwarding with
// yes, never answers a signal, and blocks for good on the second window
// change that nobody reads (a 1-slot channel read only by a running UI).
// The library has no hook for a session's requests, so the wrap is at the
// channel: the library gets the channel with the requests it may see.
func (d *Door) sessionChannel(srv *ssh.Server, sc *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	c, _ := ctx.Value(connKey{}).(*conn)
	if c == nil {
		nc.Reject(gossh.Prohibited, "no connection")
		return
	}
	if ok, first := c.openChannel(); !ok {
		if first { // once per connection: a client may ask many times
			d.log.Warn("channel refused", "door", "ssh", "user", chat.LogName(sc.User()), "addr", sc.RemoteAddr().String(),
				"reason", "too many channels on one connection")
		}
		nc.Reject(gossh.ResourceShortage, TextTooManySessions)
		return
	}
	defer c.closeChannel()
	defer d.recoverPanic(c, sc.User()) // the library's too, here
	ch := &channel{winC: make(chan struct{}, 1)}
	f := &filtered{NewChannel: nc, d: d, c: c, user: sc.User(), f: filter{ctx: ctx, ch: ch}}
	// The library's loop runs until the shell starts (or the channel
	// closes before); the filter then goes on here, alone, until the
	// channel closes, so a running session costs no goroutine more.
	ssh.DefaultSessionHandler(srv, sc, f, &chanContext{Context: ctx, ch: ch})
	if f.in == nil {
		return // not accepted
	}
	<-f.done
	f.f.run(f.in, nil)
}

// chanContext is a connection's context as one of its session channels
// sees it: with the channel's record under chanKey.
type chanContext struct {
	ssh.Context
	ch *channel
}

// Value returns the channel's record for chanKey, else the connection's value.
func (c *chanContext) Value(key any) any {
	if _, ok := key.(chanKey); ok {
		return c.ch
	}
	return c.Context.Value(key)
}

// filtered is a new session channel whose requests pass through a filter.
type filtered struct {
	gossh.NewChannel
	d    *Door
	c    *conn
	user string
	f    filter

	in   <-chan *gossh.Request // the channel's requests, once accepted
	done chan struct{}         // closed when the filter has handed the library its last request
}

// Accept accepts the channel and starts the filter on its requests; the
// library reads what it passes on, until the shell starts.
func (f *filtered) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	sch, in, err := f.NewChannel.Accept()
	if err != nil {
		return nil, nil, err
	}
	out := make(chan *gossh.Request)
	f.in, f.done = in, make(chan struct{})
	go func() {
		defer close(f.done)
		defer close(out)
		defer f.d.recoverPanic(f.c, f.user)
		f.f.run(in, out)
	}()
	return sch, out, nil
}

// filter answers a session channel's requests that the server does not
// pass to the library, and passes on the rest:
//
//   - shell, exec and pty-req go on before the shell; the library answers
//     them. Once the shell runs they are refused here.
//   - env goes on before the shell, up to maxEnvCount requests and
//     maxEnvBytes in all; past that, or once the shell runs, it is refused.
//   - window-change is kept as the channel's latest size and answered
//     here (yes after a pty-req): a size nobody reads costs nothing, and
//     the library's loop never waits on it.
//   - everything else (agent and X11 forwarding, signals, subsystems,
//     break) is refused, with a reply when one is wanted.
type filter struct {
	ctx                context.Context // the connection's
	ch                 *channel
	envCount, envBytes int
	started, pty       bool
}

// run handles requests from in until in closes or, if out is not nil,
// until it has passed the shell (or exec) request on to out. It never
// blocks but on out, which the library reads without waiting on anything
// of the client's, and not even there once the connection has ended
// (maybe by a panic in the library's loop).
func (f *filter) run(in <-chan *gossh.Request, out chan<- *gossh.Request) {
	for req := range in {
		if f.handle(req, out) {
			return
		}
	}
}

// handle answers req or passes it to out; it reports whether req was the
// shell (or exec) request passed on, after which the library reads no more.
func (f *filter) handle(req *gossh.Request, out chan<- *gossh.Request) (last bool) {
	switch req.Type {
	case "shell", "exec", "pty-req":
		if f.started || out == nil {
			break
		}
		if req.Type == "pty-req" {
			f.pty = true
		} else {
			f.started = true
		}
		f.pass(req, out)
		return f.started
	case "env":
		if f.started || out == nil || f.envCount >= maxEnvCount || f.envBytes+len(req.Payload) > maxEnvBytes {
			break
		}
		f.envCount++
		f.envBytes += len(req.Payload)
		f.pass(req, out)
		return false
	case "window-change":
		win, ok := parseWindow(req.Payload)
		ok = ok && f.pty
		if ok {
			f.ch.setWindow(win)
		}
		req.Reply(ok, nil)
		return false
	}
	req.Reply(false, nil)
	return false
}

// pass hands req to out, or refuses it if the connection has ended.
func (f *filter) pass(req *gossh.Request, out chan<- *gossh.Request) {
	select {
	case out <- req:
	case <-f.ctx.Done():
		req.Reply(false, nil)
	}
}

// parseWindow reads a window-change request's payload (RFC 4254 6.7):
// columns, rows, width and height in pixels, each a uint32.
func parseWindow(p []byte) (ssh.Window, bool) {
	if len(p) < 16 {
		return ssh.Window{}, false
	}
	u := func(i int) int { return int(binary.BigEndian.Uint32(p[4*i:])) }
	return ssh.Window{Width: u(0), Height: u(1), WidthPixels: u(2), HeightPixels: u(3)}, true
}

// openChannel counts a new session channel on c, in the door's WaitGroup
// too; it reports false if c is closed or has maxChannelsPerConn open,
// and whether that is c's first refusal.
func (c *conn) openChannel() (ok, first bool) {
	d := c.door
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.gone || c.channels >= maxChannelsPerConn {
		first = !c.refused
		c.refused = true
		return false, first
	}
	c.channels++
	d.wg.Add(1)
	return true, false
}

// closeChannel counts a session channel of c as closed.
func (c *conn) closeChannel() {
	d := c.door
	d.mu.Lock()
	c.channels--
	d.mu.Unlock()
	d.wg.Done()
}
