package lineproto

import (
	"context"
	"errors"
	"fmt"
	"io"
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
)

// Options describe one connection of the line protocol.
type Options struct {
	Door         string // "telnet" or "ssh", for logs
	Addr         string // remote address, for logs
	Telnet       bool   // strip telnet IAC sequences from input
	Name         string // log in with this name at once, without a prompt (SSH)
	KeyID        string // SSH key fingerprint, "" for none
	LoginTimeout time.Duration
	WriteTimeout time.Duration // a write blocked this long ends the connection
	FloodBurst   int
	FloodRate    float64 // lines a second; 0 turns flood control off
	OutboxLen    int
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
// after the refusal line was sent.
func Serve(ctx context.Context, hub *chat.Hub, conn io.ReadWriteCloser, opt Options) error {
	if opt.LoginTimeout <= 0 {
		opt.LoginTimeout = DefaultLoginTimeout
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = DefaultWriteTimeout
	}
	c := &conn_{hub: hub, conn: conn, opt: opt, out: chat.NewOutbox(opt.OutboxLen)}
	c.dl, _ = conn.(deadliner)
	var wg sync.WaitGroup
	wg.Go(c.writeLoop) // closes conn once the outbox is closed and flushed
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() {
		if !c.loggedIn.Load() {
			c.system(chat.TextShutdown)
			c.out.Close()
		}
	})
	defer stop()
	return c.run(ctx)
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
		if s, err = c.login(ctx, c.opt.Name); err != nil {
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
	for {
		line, tooLong, err := lr.ReadLine()
		if err != nil {
			if s == nil && isTimeout(err) {
				c.system(chat.TextLoginTimeout)
			}
			return nil
		}
		if ok, notify := lim.Allow(time.Now()); !ok {
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
			s.Input(ctx, string(line))
			if c.out.Closed() {
				return nil // /leave
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
		if s, err = c.login(ctx, name); err != nil {
			if errors.Is(err, chat.ErrShutdown) {
				return nil
			}
			continue
		}
		if c.dl != nil {
			c.dl.SetReadDeadline(time.Time{})
		}
	}
}

// login tries name; a refusal is answered on the connection.
func (c *conn_) login(ctx context.Context, name string) (*chat.Session, error) {
	s, err := c.hub.Login(ctx, name, chat.LoginOptions{Door: c.opt.Door, Addr: c.opt.Addr, KeyID: c.opt.KeyID, Outbox: c.out})
	if err != nil {
		c.system(chat.RefusalText(err))
		return nil, err
	}
	c.loggedIn.Store(true)
	return s, nil
}

// writeLoop sends what the outbox holds, everything queued in one write,
// until the outbox is closed and drained or a write fails.
func (c *conn_) writeLoop() {
	defer c.conn.Close()
	var evs []*chat.Event
	var buf []byte
	for range c.out.Ready() {
		var dropped int
		var closed bool
		evs, dropped, closed = c.out.Drain(evs)
		buf = buf[:0]
		if dropped > 0 {
			buf = append(buf, "<system> "+chat.DroppedText(dropped)+"\n"...)
		}
		for _, e := range evs {
			buf = append(buf, e.Line()...)
			if len(buf) >= maxWriteChunk {
				if !c.write(buf) {
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 && !c.write(buf) {
			return
		}
		if closed {
			return
		}
		if cap(buf) > maxWriteChunk {
			buf = nil // a burst's buffer is not kept for an idle connection
		}
		if cap(evs) > 256 {
			evs = nil
		}
	}
}

func (c *conn_) write(b []byte) bool {
	if c.dl != nil {
		c.dl.SetWriteDeadline(time.Now().Add(c.opt.WriteTimeout))
	}
	_, err := c.conn.Write(b)
	return err == nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
