package sshd

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/jsonlines"
	"chatserver/app/lineproto"
	"chatserver/chat"
	"chatserver/tui"
	"chatserver/tui/keyin"
)

// TextTooManySessions answers a session past the per-connection cap.
const TextTooManySessions = "Too many sessions on this connection."

// closeGrace is how long a session's reader gets to see the end of its
// channel once the server closed it, before the connection is cut.
const closeGrace = 5 * time.Second

// handle is the server's Handler: one SSH session, from its shell or exec
// request to its exit status. A panic in it, or in the UI it runs, ends
// this connection only.
func (d *Door) handle(s ssh.Session) {
	c, _ := s.Context().Value(connKey{}).(*conn)
	ch := channelOf(s)
	if c == nil || ch == nil {
		s.Exit(1)
		return
	}
	defer d.recoverPanic(c, s.User())
	addr := s.RemoteAddr().String()
	if c.over {
		d.refused.Refused(addr)
		refuse(s, chat.TextTooMany)
		return
	}
	ok, tooMany := c.open(s.Context())
	if !ok {
		if tooMany {
			d.log.Warn("session refused", "door", "ssh", "addr", addr, "reason", "too many sessions on one connection")
			refuse(s, TextTooManySessions)
		}
		return
	}
	defer c.done()
	if cmd := s.RawCommand(); cmd != "" && !servesJSON(s) {
		d.log.Info("command refused", "door", "ssh", "user", chat.LogName(s.User()), "addr", addr, "command", loggedCommand(cmd))
		refuse(s, unknownCommand(cmd))
		return
	}
	keyID, key := "", "none"
	if pk := s.PublicKey(); pk != nil {
		keyID = gossh.FingerprintSHA256(pk)
		key = keyID
	}
	pty, _, isPty := s.Pty()
	d.log.Info("ssh session", "user", chat.LogName(s.User()), "addr", addr, "key", key, "pty", isPty, "json", servesJSON(s))
	op := keyID != "" && d.cfg.Operator != nil && d.cfg.Operator(keyID)
	if !op && d.cfg.Hub.ServerBanned(s.User(), keyID, addr) { // an operator's key is never kept out
		d.log.Info("login refused", "door", "ssh", "user", chat.LogName(s.User()), "addr", addr, "key", key, "reason", "banned from the server")
		refuse(s, chat.TextServerBanned)
		return
	}
	// The client proved the name by its password (keyboard-interactive);
	// proof by the key that owns it the engine finds itself. Either way
	// the login replaces an older session of the name, on either door
	// (chat/ghost.go).
	proven := passwordProven(s.Context())
	code := 0
	if isPty && !servesJSON(s) { // JSON lines are for programs, with a pty or not
		code = d.serveUI(s, c, ch, pty, keyID, op, proven)
	} else {
		code = d.serveLines(s, c, keyID, op, proven)
	}
	s.Exit(code) // a no-op if the session was closed already
}

// loggedCommand is what the log keeps of a refused exec command: its
// first word only, since the rest may be a secret a user meant for the
// chat (ssh host '/password hunter22').
func loggedCommand(cmd string) string {
	word, rest := chat.CutArg(cmd)
	if rest != "" {
		word += " …"
	}
	return chat.LogName(word)
}

// unknownCommand is the answer to an exec request: the server runs no
// commands, it only serves chat (the command is cut and sanitised).
func unknownCommand(cmd string) string {
	return "Unknown command '" + chat.Sanitize(chat.LogName(cmd)) + "'; this server only serves chat."
}

// recoverPanic, deferred by every goroutine of a connection, ends a panic
// there: it logs it with the user and the stack, and cuts the connection,
// so that one connection's panic ends that connection only.
func (d *Door) recoverPanic(c *conn, user string) {
	if v := recover(); v != nil {
		d.panicked(c, user, v)
	}
}

// panicked logs panic v of user's connection c with the stack, and cuts c.
func (d *Door) panicked(c *conn, user string, v any) {
	lineproto.LogPanic(d.log, v, "door", "ssh", "user", chat.LogName(user), "addr", c.RemoteAddr().String())
	c.cut()
}

// refuse tells s why it is refused, as a JSON line if s asked for them,
// and ends it with exit status 1.
func refuse(s ssh.Session, text string) {
	ev := &chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: text, Time: time.Now()}
	if servesJSON(s) {
		s.Write(jsonlines.Append(nil, ev))
	} else {
		s.Write(ev.Line())
	}
	s.Exit(1)
}

// serveLines runs the line protocol on s and returns the exit status: 1 if
// the name was refused, else 0.
func (d *Door) serveLines(s ssh.Session, c *conn, keyID string, operator, proven bool) int {
	opt := d.cfg.Line
	d.flood.Apply(&opt)
	opt.Addr, opt.Name, opt.KeyID, opt.Operator, opt.Proven = s.RemoteAddr().String(), s.User(), keyID, operator, proven
	opt.KeepWriter = true // the SSH write path is deep: keep one writer's stack grown
	if servesJSON(s) {
		opt.Format = jsonlines.Append
	}
	lc := &lineConn{Session: s, c: c, guard: stallGuard{w: s, c: c, timeout: d.cfg.WriteTimeout, slow: d.cfg.Hub.SlowClients()}}
	defer lc.guard.stop()
	err := lineproto.Serve(s.Context(), d.cfg.Hub, lc, opt)
	if errors.Is(err, lineproto.ErrRefused) {
		d.log.Info("login refused", "door", "ssh", "user", chat.LogName(s.User()), "addr", opt.Addr, "err", err)
		return 1
	}
	return 0
}

// serveUI logs the user in and runs the Bubble Tea UI until it quits, the
// connection ends or the hub shuts down; it returns the exit status.
func (d *Door) serveUI(s ssh.Session, c *conn, ch *channel, pty ssh.Pty, keyID string, operator, proven bool) int {
	ctx, cancel := context.WithCancel(s.Context())
	defer cancel()
	addr := s.RemoteAddr().String()
	sess, err := d.cfg.Hub.Login(ctx, s.User(), chat.LoginOptions{
		Door: "ssh", Addr: addr, KeyID: keyID, Operator: operator, Proven: proven, Outbox: chat.NewOutbox(d.cfg.Line.OutboxBytes), Roster: true,
	})
	if err != nil {
		d.log.Info("login refused", "door", "ssh", "user", chat.LogName(s.User()), "addr", addr, "err", err)
		io.WriteString(s, "<"+chat.SystemName+"> "+chat.RefusalText(err)+"\n")
		return 1
	}
	defer sess.Close() // whatever ended the program, no ghost stays online
	win := pty.Window
	if latest, ok := ch.window(); ok { // window changes before the shell
		win = latest
	}
	w, h := d.clamp(win)
	out := &stallGuard{w: s, c: c, timeout: d.cfg.WriteTimeout, slow: d.cfg.Hub.SlowClients()}
	defer out.stop()
	flood := d.cfg.Line
	d.flood.Apply(&flood)
	m := tui.New(tui.Config{
		Ctx: ctx, Hub: d.cfg.Hub, Session: sess, Width: w, Height: h,
		FloodBurst: flood.FloodBurst, FloodRate: flood.FloodRate,
		// The model draws only the rows that changed; no stock renderer.
		Output: chunker{w: out, max: uiWriteMax}, Shared: d.shared,
		Profile: colourProfile(s.Environ(), pty.Term),
	})
	opts := append(bubbletea.MakeOptions(s),
		tea.WithContext(ctx),
		tea.WithoutSignalHandler(), // the app, not each program, decides when to stop
		tea.WithoutRenderer(),
		// Without a renderer the program still runs a ticker at its frame
		// rate, only to flush output we never queue: at the default 60 a
		// second, 500 idle sessions would wake the server 30 000 times a second.
		tea.WithFPS(1),
		tea.WithWindowSize(w, h),
		tea.WithOutput(out),
		// Bubble Tea's input reader costs ~100 KB of key table and three
		// goroutines per program; keyin decodes the same keys on ours.
		tea.WithInput(nil),
	)
	p := tui.NewProgramOf(m, &guard{m: m, d: d, c: c, user: sess.Name()}, opts...)
	keysDone := make(chan struct{})
	go func() {
		defer close(keysDone)
		defer d.recoverPanic(c, sess.Name())
		readKeys(s, keyin.New(p.Send))
	}()
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		defer d.recoverPanic(c, sess.Name())
		d.resizes(ctx, ch, p, w, h)
	}()
	_, err = p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic): // in a command the guard could not wrap; Bubble Tea printed the stack
		d.panicked(c, sess.Name(), err)
	case err != nil && !errors.Is(err, tea.ErrProgramKilled):
		d.log.Warn("ui ended", "door", "ssh", "user", chat.LogName(sess.Name()), "addr", addr, "err", err)
	}
	cancel()
	<-resized
	// The reader ends when the client has seen the channel close; a client
	// that does not close its side within closeGrace is cut.
	s.Exit(0)
	select {
	case <-keysDone:
	case <-time.After(closeGrace):
		c.cut()
		<-keysDone
	}
	return 0
}

// colourProfile is what the user's terminal can show, from the pty's
// TERM and the environment the client sent (NO_COLOR, COLORTERM), by
// colorprofile.Env, which is what wish uses for its own programs' emulated
// ptys: TERM=xterm gets the 16 ANSI colours, xterm-256color 256, dumb
// none. A pty without a TERM is taken as xterm-256color (wish would give
// it no colour), and NO_COLOR still applies: any value but the empty
// string turns colours off (no-color.org), where colorprofile only takes
// the values strconv.ParseBool reads as true ("yes" kept the colours).
func colourProfile(environ []string, term string) colorprofile.Profile {
	if term == "" {
		term = "xterm-256color"
	}
	p := colorprofile.Env(append(slices.Clip(environ), "TERM="+term))
	noColor := ""
	for _, kv := range environ { // the last one counts, as for a shell
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok {
			noColor = v
		}
	}
	if noColor != "" && p > colorprofile.ASCII {
		p = colorprofile.ASCII
	}
	return p
}

// uiWriteMax is the largest write the UI makes to its channel. A channel
// of golang.org/x/crypto/ssh keeps a packet buffer as large as the largest
// write it was given (up to the client's packet size, usually 32 KiB), for
// as long as the session lasts: one redraw of a
// huge terminal would stay in every idle session's memory. Frames measured
// in the tui tests: a whole 80x24 screen is 3.9 KB, a whole 120x40 one
// 8.0 KB, a new message at 120x40 4.2 KB, so usual frames leave in one write.
const uiWriteMax = 8 << 10

// chunker splits writes into pieces of at most max bytes.
type chunker struct {
	w   io.Writer
	max int
}

// Write writes p in pieces.
func (c chunker) Write(p []byte) (n int, err error) {
	for len(p) > 0 {
		k, err := c.w.Write(p[:min(len(p), c.max)])
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// readKeys decodes what the user types until the session's input ends:
// when the handler has returned and the channel is closed, or the
// connection is gone. Each read gets a buffer of its own: a rare event
// (a Kitty graphics reply) keeps a slice of the bytes it came from.
func readKeys(s ssh.Session, keys *keyin.Decoder) {
	defer keys.Close()
	for {
		buf := make([]byte, 512)
		n, err := s.Read(buf)
		keys.Write(buf[:n])
		if err != nil {
			return
		}
	}
}

// resizes hands p the window sizes the client sends, clamped, at most one
// per resizeEvery and only when the size changed, until ctx is done. A
// storm of window changes costs one redraw per tick.
func (d *Door) resizes(ctx context.Context, ch *channel, p *tea.Program, w, h int) {
	sentW, sentH := w, h
	tick := time.NewTimer(resizeEvery)
	tick.Stop()
	var tickC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			tick.Stop()
			return
		case <-ch.winC:
			win, _ := ch.window()
			w, h = d.clamp(win)
			if tickC == nil {
				tick.Reset(resizeEvery)
				tickC = tick.C
			}
		case <-tickC:
			tickC = nil
			if w != sentW || h != sentH {
				sentW, sentH = w, h
				p.Send(tea.WindowSizeMsg{Width: w, Height: h})
			}
		}
	}
}

// clamp bounds a window size the client sent: 80x24 for a missing one,
// MaxWidth x MaxHeight at most.
func (d *Door) clamp(win ssh.Window) (w, h int) {
	w, h = win.Width, win.Height
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return min(w, d.cfg.MaxWidth), min(h, d.cfg.MaxHeight)
}

// stallGuard cuts the connection when a write to it blocks for longer than
// timeout: a client that stopped reading must not hold a session forever.
// A write reads the clock, stores two atomics and takes two uncontended
// locks, and moves no timer: the one timer is set again only when a write
// finds it stopped, and stops itself once it finds no write under way, so
// an idle session has none running. Call stop when the session ends. Safe
// for concurrent use.
type stallGuard struct {
	w       io.Writer
	c       *conn
	timeout time.Duration
	slow    *chat.SlowClients // counts the cut; nil: not counted

	mu    sync.Mutex   // one write at a time
	since atomic.Int64 // when the write under way began (nanoseconds on the guard's clock), 0 if none
	epoch time.Time    // the guard's clock starts here

	watch   sync.Mutex // guards epoch, t, armed and stopped
	t       *time.Timer
	armed   bool
	stopped bool
}

// Write writes p, cutting the connection if that takes longer than the timeout.
func (g *stallGuard) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.watch.Lock()
	if g.epoch.IsZero() {
		g.epoch = time.Now()
	}
	g.since.Store(max(int64(time.Since(g.epoch)), 1))
	if !g.armed && !g.stopped {
		g.armed = true
		if g.t == nil {
			g.t = time.AfterFunc(g.timeout, g.check)
		} else {
			g.t.Reset(g.timeout)
		}
	}
	g.watch.Unlock()
	n, err := g.w.Write(p)
	g.since.Store(0)
	return n, err
}

// stop stops the timer for good: a timer left armed by the session's last
// write would keep the session, its channel and the connection reachable
// until it fired.
func (g *stallGuard) stop() {
	g.watch.Lock()
	defer g.watch.Unlock()
	g.stopped = true
	if g.t != nil {
		g.t.Stop()
	}
}

// check runs on the timer: it cuts the connection if the write under way
// began a timeout ago, waits for the rest of the timeout if it began
// later, and stops if no write is under way.
func (g *stallGuard) check() {
	g.watch.Lock()
	defer g.watch.Unlock()
	since := g.since.Load()
	if since == 0 || g.stopped {
		g.armed = false
		return
	}
	if wait := g.timeout - (time.Since(g.epoch) - time.Duration(since)); wait > 0 {
		g.t.Reset(wait)
		return
	}
	if g.slow != nil {
		g.slow.CountCut()
	}
	g.c.cut()
}

// cut closes the TCP connection under the SSH server, which ends every
// session on it and unblocks their reads and writes.
func (c *conn) cut() { c.Conn.Close() }

// lineConn is a session as the line protocol's connection. lineproto
// closes its connection when it is done writing; a session must send its
// exit status before its channel closes, so Close closes the channel only
// when a read is blocked on it (the reader could not end otherwise) and
// leaves the rest to the handler, which knows the exit status.
type lineConn struct {
	ssh.Session
	c     *conn
	guard stallGuard

	mu      sync.Mutex
	closed  bool
	reading bool
}

// Read reads from the session; after Close it returns io.EOF.
func (l *lineConn) Read(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, io.EOF
	}
	l.reading = true
	l.mu.Unlock()
	n, err := l.Session.Read(p)
	l.mu.Lock()
	l.reading = false
	l.mu.Unlock()
	return n, err
}

// Write writes to the session, cutting the connection if the client does
// not take the bytes within the write timeout.
func (l *lineConn) Write(p []byte) (int, error) { return l.guard.Write(p) }

// Close ends reading. If a read is blocked it ends the session with exit
// status 0, and cuts the connection if the client does not close its side
// within closeGrace.
func (l *lineConn) Close() error {
	l.mu.Lock()
	l.closed = true
	blocked := l.reading
	l.mu.Unlock()
	if blocked {
		l.Session.Exit(0)
		time.AfterFunc(closeGrace, func() {
			l.mu.Lock()
			stuck := l.reading
			l.mu.Unlock()
			if stuck {
				l.c.cut()
			}
		})
	}
	return nil
}
