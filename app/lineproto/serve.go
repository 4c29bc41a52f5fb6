package lineproto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"chatserver/chat"
)

// ErrRefused is returned by Serve when a preset name (SSH) was refused.
var ErrRefused = errors.New("login refused")

// Defaults for Options left zero.
const (
	DefaultLoginTimeout = 60 * time.Second
	DefaultWriteTimeout = 60 * time.Second
	maxWriteChunk       = 64 << 10
	idleBuffer          = 4 << 10
)

// Options describe one connection of the line protocol.
type Options struct {
	Logger       *slog.Logger // where a panic is logged; nil discards
	Door         string       // "telnet" or "ssh", for logs
	Addr         string       // remote address, for logs
	Telnet       bool         // strip telnet IAC sequences from input
	Name         string       // log in with this name at once, without a prompt (SSH)
	KeyID        string       // SSH key fingerprint, "" for none
	Operator     bool         // KeyID is a server operator's (chat.LoginOptions.Operator)
	Proven       bool         // the door proved the name's password (chat.LoginOptions.Proven)
	LoginTimeout time.Duration
	WriteTimeout time.Duration // a write blocked this long ends the connection
	FloodBurst   int
	FloodRate    float64    // lines a second; 0 turns flood control off
	OutboxBytes  int        // bytes of lines queued for a slow reader; chat.DefaultOutboxBytes if 0
	Pool         *WritePool // shared by a door's connections; nil: one per connection
	// KeepWriter gives the connection a writer goroutine for its whole
	// life instead of one started for each burst. An idle connection then
	// costs a goroutine more, but a write path as deep as SSH's does not
	// grow a fresh goroutine's stack for every line.
	KeepWriter bool
	// Format, if set, renders each event in place of its text line
	// (chat.Event.Line), appending to dst, with the same coalescing: one
	// write a batch. The JSON lines door sets it (jsonlines.Append). It
	// must not keep e or block.
	Format func(dst []byte, e *chat.Event) []byte
}

// Flood is flood control's limits, which a door may change while it runs
// (SIGHUP): a connection takes those in force when it starts. Safe for
// concurrent use; the zero Flood holds Options' own.
type Flood struct{ p atomic.Pointer[flood] }

type flood struct {
	burst int
	rate  float64
}

// Set changes the limits for connections started from now on.
func (f *Flood) Set(burst int, rate float64) { f.p.Store(&flood{burst, rate}) }

// Apply sets o's flood limits to those last Set, if any.
func (f *Flood) Apply(o *Options) {
	if p := f.p.Load(); p != nil {
		o.FloodBurst, o.FloodRate = p.burst, p.rate
	}
}

// WritePool lends flushers their write buffers, so a busy connection does
// not allocate a buffer for each write and an idle one holds none. A door
// makes one for all its connections; safe for concurrent use.
type WritePool struct{ p sync.Pool }

// NewWritePool returns an empty pool.
func NewWritePool() *WritePool {
	return &WritePool{p: sync.Pool{New: func() any { b := make([]byte, 0, idleBuffer); return &b }}}
}

func (wp *WritePool) get() *[]byte { return wp.p.Get().(*[]byte) }

func (wp *WritePool) put(b *[]byte) {
	if cap(*b) <= 2*maxWriteChunk {
		*b = (*b)[:0]
		wp.p.Put(b)
	}
}

// deadliner is the part of net.Conn that Serve uses when it has it.
type deadliner interface {
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// Serve speaks the line protocol on conn for hub until the user leaves, the
// connection ends or ctx is done (the user is then told the server is
// shutting down). It returns once its writer has flushed the last lines and
// closed conn; a writer stuck on a client that does not read gives up after
// opt.WriteTimeout. With opt.Name set, a refused login returns ErrRefused
// after the refusal line was sent. A panic in the connection's reader,
// writer or login ends this connection only: it is logged with its stack
// and Serve returns an error.
func Serve(ctx context.Context, hub *chat.Hub, conn io.ReadWriteCloser, opt Options) (err error) {
	if opt.LoginTimeout <= 0 {
		opt.LoginTimeout = DefaultLoginTimeout
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = DefaultWriteTimeout
	}
	if opt.Pool == nil {
		opt.Pool = NewWritePool()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	c := &conn_{hub: hub, conn: conn, opt: opt, out: chat.NewOutbox(opt.OutboxBytes)}
	c.dl, _ = conn.(deadliner)
	c.done = make(chan struct{})
	if opt.KeepWriter {
		go c.writeLoop()
	} else {
		c.out.OnReady(c.kick)
	}
	defer func() { <-c.done }() // the flusher closes conn once the outbox is closed and flushed
	stop := context.AfterFunc(ctx, func() {
		if !c.loggedIn.Load() {
			c.system(chat.TextShutdown)
			c.out.Close()
		}
	})
	defer stop()
	defer func() {
		if v := recover(); v != nil {
			c.panicked("reader", v) // the writer then fails and releases the wait above
			err = fmt.Errorf("panic in the reader: %v", v)
		}
	}()
	return c.run(ctx)
}

// LogPanic logs v, a value recovered from a panic, with the stack and args
// (the door, user and address), at Error: for the owner of a connection's
// goroutine, which then closes that connection.
func LogPanic(log *slog.Logger, v any, args ...any) {
	log.Error("panic, connection closed", append(args, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))...)
}

// panicked logs a panic recovered in one of the connection's goroutines
// and closes the connection, which ends the others.
func (c *conn_) panicked(where string, v any) {
	user := ""
	if p := c.user.Load(); p != nil {
		user = *p
	}
	LogPanic(c.opt.Logger, v, "door", c.opt.Door, "user", chat.LogName(user), "addr", c.opt.Addr, "in", where)
	c.conn.Close()
}

// conn_ is one connection's state, owned by its reader goroutine except for
// what the writer touches (conn, out, dl).
type conn_ struct {
	hub      *chat.Hub
	conn     io.ReadWriteCloser
	dl       deadliner
	opt      Options
	out      *chat.Outbox
	loggedIn atomic.Bool
	user     atomic.Pointer[string] // the name logged in with, for logs

	// The flusher: at most one goroutine at a time, started by kick when
	// the outbox gets something, ending when it is empty again.
	writing  atomic.Bool
	done     chan struct{} // closed when the connection's writing is over
	doneOnce sync.Once
	evs      []*chat.Event // owned by the running flusher
	deadline time.Time     // the write deadline set, owned by the running flusher
}

func (c *conn_) system(text string) {
	c.out.Push(&chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: text, Time: time.Now()})
}

func (c *conn_) run(ctx context.Context) error {
	c.system(chat.TextWelcome)
	lim := chat.NewLimiter(c.opt.FloodBurst, c.opt.FloodRate)
	var s *chat.Session
	defer func() {
		if s != nil {
			s.Close()
		} else {
			c.out.Close()
		}
	}()
	if c.opt.Name != "" {
		var err error
		if s, err = c.login(ctx, c.opt.Name, c.opt.Proven); err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
	} else {
		c.system(chat.TextNotConnected)
		c.system(chat.TextEnterName)
		if c.dl != nil {
			c.dl.SetReadDeadline(time.Now().Add(c.opt.LoginTimeout))
		}
	}
	lr := NewReader(c.conn, c.opt.Telnet)
	var ask asking // a protected name waiting for its password
	for {
		line, tooLong, err := lr.ReadLine()
		if err != nil {
			if s == nil && isTimeout(err) {
				c.system(chat.TextLoginTimeout)
			}
			return nil
		}
		if ok, notify := lim.Allow(time.Now()); !ok {
			c.hub.Stats().CountFloodDrop()
			if notify {
				c.system(chat.TextTooFast)
			}
			continue
		}
		if s != nil {
			if tooLong {
				s.Notify(chat.TextTooLong)
				continue
			}
			if len(line) > 0 && line[0] == '/' { // a command: see offReader
				c.offReader("command", func() error { s.Input(ctx, string(line)); return nil })
			} else {
				s.Input(ctx, string(line))
			}
			if c.out.Closed() {
				return nil // /leave
			}
			continue
		}
		if ask.name != "" {
			var end bool
			if s, end = c.answer(ctx, &ask, line); end {
				return nil
			}
			if s != nil && c.dl != nil {
				c.dl.SetReadDeadline(time.Time{})
			}
			continue
		}
		if tooLong {
			c.system(chat.RefusalText(chat.ErrNameTooLong))
			continue
		}
		name := chat.Sanitize(string(line))
		if name == "" {
			continue
		}
		// A name banned from the server is refused as such, unasked.
		if c.hub.Protected(name) && !c.hub.ServerBanned(name, c.opt.KeyID, c.opt.Addr) {
			ask.name = name
			c.out.Push(chat.PasswordPrompt())
			continue
		}
		if s, err = c.login(ctx, name, false); err != nil {
			if endsConnection(err) {
				return nil // told so; the connection closes
			}
			continue
		}
		if c.dl != nil {
			c.dl.SetReadDeadline(time.Time{})
		}
	}
}

// endsConnection reports whether a refused login ends the connection
// rather than asking for a name again: the server is shutting down, bans
// the user, or a newer login replaced this one while it logged in.
func endsConnection(err error) bool {
	return errors.Is(err, chat.ErrShutdown) || errors.Is(err, chat.ErrServerBanned) || errors.Is(err, chat.ErrReplaced)
}

// MaxWrongPasswords is how many wrong passwords one connection may give;
// the last closes it.
const MaxWrongPasswords = 3

// asking is the state of a telnet login at a protected name: the name
// whose password the next line is, and the wrong ones given so far.
type asking struct {
	name  string
	wrong int
}

// answer takes line as the password of ask.name: it turns the client's
// echo back on, checks the password, and logs in if it is right. A wrong
// one is told so and the username prompt comes again, but the
// MaxWrongPasswords-th, which ends the connection (end). A refused login
// ends it too if the server is shutting down or bans the user.
func (c *conn_) answer(ctx context.Context, ask *asking, line []byte) (s *chat.Session, end bool) {
	name := ask.name
	ask.name = ""
	c.out.Push(chat.PasswordTyped())
	err := c.offReader("password", func() error { return c.hub.CheckPassword(ctx, name, string(line), c.opt.Addr) })
	switch {
	case err == nil:
		s, err = c.login(ctx, name, true)
		return s, endsConnection(err)
	case errors.Is(err, chat.ErrTooManyAttempts):
		c.system(chat.TextTooManyAttempts)
	case errors.Is(err, chat.ErrWrongPassword):
		c.system(chat.TextWrongPassword)
		if ask.wrong++; ask.wrong >= MaxWrongPasswords {
			return nil, true
		}
	default: // the connection is ending
		return nil, true
	}
	c.system(chat.TextEnterName)
	return nil, false
}

// login tries name, with its password proven or not; a refusal is
// answered on the connection.
func (c *conn_) login(ctx context.Context, name string, proven bool) (*chat.Session, error) {
	var s *chat.Session
	// Named for the logs before the hub has it: its join line goes out
	// during Login, and what it sets off (a write that fails, or panics)
	// may be logged before Login returns.
	c.user.Store(&name)
	err := c.offReader("login", func() (err error) {
		s, err = c.hub.Login(ctx, name, chat.LoginOptions{Door: c.opt.Door, Addr: c.opt.Addr, KeyID: c.opt.KeyID, Operator: c.opt.Operator, Outbox: c.out, Proven: proven})
		return err
	})
	if err != nil {
		c.user.Store(nil)
		c.system(chat.RefusalText(err))
		return nil, err
	}
	c.loggedIn.Store(true)
	return s, nil
}

// offReader runs f, the engine's work for a line, on a goroutine of its
// own and waits for it. Logins and commands are the deepest calls a
// connection makes (the hub, its locks, the plugins' hooks, the log line,
// the store): on the reader they would leave its stack grown to 8 KB for
// as long as the user stays, and most users stay idle; on a goroutine of
// their own, the stack they grew is reused by the next, and an idle
// user's reader keeps its 4 KB. A panic in f is where names it in the log,
// and closes the connection.
func (c *conn_) offReader(where string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				c.panicked(where, v)
				done <- fmt.Errorf("panic in %s: %v", where, v)
			}
		}()
		done <- f()
	}()
	return <-done
}

// kick starts a flusher unless one is running. It is the outbox's OnReady.
func (c *conn_) kick() {
	if c.writing.CompareAndSwap(false, true) {
		go c.flush()
	}
}

// flush writes what the outbox holds until it is empty, then ends; a
// later push starts another. Once the outbox is closed and flushed, or a
// write fails, it closes the connection and writing stays claimed for good.
func (c *conn_) flush() {
	defer c.recoverWriter()
	for {
		if !c.writeQueued() {
			c.finish()
			return
		}
		c.writing.Store(false)
		if c.out.Len() == 0 && !c.out.Closed() {
			return
		}
		if !c.writing.CompareAndSwap(false, true) {
			return // a push raced in and started another flusher
		}
	}
}

// writeLoop is the writer of Options.KeepWriter: one goroutine for the
// connection's life, woken by the outbox.
func (c *conn_) writeLoop() {
	defer c.recoverWriter()
	for range c.out.Ready() {
		if !c.writeQueued() {
			c.finish()
			return
		}
	}
}

// recoverWriter is deferred by the writer: a panic there closes the
// connection and releases Serve. Writing stays claimed, so no other
// writer starts.
func (c *conn_) recoverWriter() {
	if v := recover(); v != nil {
		c.panicked("writer", v)
		c.finish()
	}
}

// writeQueued sends everything the outbox holds in one write (64 KiB at
// most a write). It reports false once the connection's writing is over:
// the outbox was closed and is flushed, or a write failed.
func (c *conn_) writeQueued() bool {
	evs, dropped, closed := c.out.Drain(c.evs)
	c.evs = evs
	bp := c.opt.Pool.get()
	buf := (*bp)[:0]
	if dropped > 0 {
		buf = c.appendEvent(buf, &chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: chat.DroppedText(dropped), Time: time.Now()})
	}
	ok := true
	for _, e := range evs {
		buf = c.appendEvent(buf, e)
		if len(buf) >= maxWriteChunk {
			if ok = c.write(buf); !ok {
				break
			}
			buf = buf[:0]
		}
	}
	if ok && len(buf) > 0 {
		ok = c.write(buf)
	}
	*bp = buf
	c.opt.Pool.put(bp)
	if cap(c.evs) > idleBuffer/8 {
		c.evs = nil
	} else {
		clear(c.evs)
	}
	return ok && !closed
}

// appendEvent appends e as the connection sends it: Options.Format's
// rendering, else its text line.
func (c *conn_) appendEvent(buf []byte, e *chat.Event) []byte {
	if c.opt.Format != nil {
		return c.opt.Format(buf, e)
	}
	return append(buf, e.Line()...)
}

// finish closes the connection and releases Serve.
func (c *conn_) finish() {
	c.conn.Close()
	c.doneOnce.Do(func() { close(c.done) })
}

// write writes b, giving up if the client takes none of it for between
// half of WriteTimeout and all of it: the deadline is moved only once it is
// less than half the timeout away, not on every write, which would cost a
// timer update per line.
func (c *conn_) write(b []byte) bool {
	if c.dl != nil {
		if now := time.Now(); c.deadline.Sub(now) < c.opt.WriteTimeout/2 {
			c.deadline = now.Add(c.opt.WriteTimeout)
			c.dl.SetWriteDeadline(c.deadline)
		}
	}
	_, err := c.conn.Write(b)
	if isTimeout(err) {
		c.hub.SlowClients().CountCut() // the writer ends and closes the connection
	}
	return err == nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
