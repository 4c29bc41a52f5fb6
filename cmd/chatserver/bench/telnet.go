package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"chatserver/chat"
)

// dial connects u, from its source address when SourceIPs is set. A
// stalled user gets the smallest receive buffer, so that the server finds
// it stalled after a few kilobytes rather than after the megabytes a
// loopback socket's buffer grows to.
func (r *run) dial(ctx context.Context, u *user) (net.Conn, error) {
	// No TCP keepalive: the run is short and on loopback, and setting it
	// is four system calls a login, a tenth of the client's CPU when the
	// login rate is measured.
	d := net.Dialer{KeepAlive: -1}
	opts := sockOpts{smallRcvBuf: u.stalled}
	if r.cfg.SourceIPs > 0 {
		d.LocalAddr = &net.TCPAddr{IP: sourceIP(u.idx, r.cfg.SourceIPs)}
		opts.bindNoPort = true
	}
	if opts != (sockOpts{}) {
		d.Control = opts.control
	}
	return d.DialContext(ctx, "tcp", r.addrs[u.node])
}

// sockOpts are the socket options a client connection is dialled with.
type sockOpts struct {
	bindNoPort  bool // take the port at connect time (IP_BIND_ADDRESS_NO_PORT, Linux)
	smallRcvBuf bool // the smallest receive buffer (SO_RCVBUF)
}

// telnetDoor logs users in over the telnet door's line protocol.
type telnetDoor struct{}

func (telnetDoor) lineEnd() string { return "\r\n" }

// telnetSession is a telnet connection and the line reader that has
// already buffered part of what it sent.
type telnetSession struct {
	net.Conn
	lr *lineReader
}

func (telnetDoor) login(ctx context.Context, r *run, u *user) (session, error) {
	return r.connect(ctx, u, func(conn net.Conn) (session, error) {
		lr := newLineReader(conn)
		if err := lineLogin(lr, conn, u.name, r.rooms[u.room], "\r\n", true); err != nil {
			return nil, err
		}
		return &telnetSession{Conn: conn, lr: lr}, nil
	})
}

// connect dials u and runs login on the connection; the end of ctx cuts
// login short by expiring the connection's deadline. If login fails, or
// ctx ended meanwhile, the connection is closed.
func (r *run) connect(ctx context.Context, u *user, login func(net.Conn) (session, error)) (session, error) {
	conn, err := r.dial(ctx, u)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	s, err := login(conn)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, err
	}
	if !stop() {
		s.Close()
		return nil, ctx.Err()
	}
	conn.SetDeadline(time.Time{})
	return s, nil
}

// lineLogin speaks the login of the line protocol: wait for the prompt
// (prompt false: the SSH door, which has none), send the name, wait for
// "Logging in as", and switch to room unless it is the default.
func lineLogin(lr *lineReader, w io.Writer, name, room, end string, prompt bool) error {
	if prompt {
		if err := waitLine(lr, "<system> "+chat.TextEnterName); err != nil {
			return err
		}
		if _, err := io.WriteString(w, name+end); err != nil {
			return err
		}
	}
	if err := waitLine(lr, "<system> Logging in as "+name); err != nil {
		return err
	}
	if isDefaultRoom(room) {
		return nil
	}
	if _, err := io.WriteString(w, "/switch "+room+end); err != nil {
		return err
	}
	return waitLine(lr, "<system> Switched to room '"+room+"'")
}

func isDefaultRoom(room string) bool { return chat.Fold(room) == chat.Fold(chat.DefaultRoom) }

// errRefused is a system line that answered a login or a switch instead
// of the line waited for.
var errRefused = errors.New("refused")

// waitLine reads lines until want; a system line that is a refusal ends
// the wait with errRefused.
func waitLine(lr *lineReader, want string) error {
	for {
		line, err := lr.next()
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", want, err)
		}
		if string(line) == want {
			return nil
		}
		if from, text, ok := chatText(line); ok && string(from) == chat.SystemName && isRefusal(string(text)) {
			return fmt.Errorf("%w: %q", errRefused, line)
		}
	}
}

func isRefusal(text string) bool {
	for _, err := range []error{chat.ErrNameTooLong, chat.ErrNameInvalid, chat.ErrNameReserved, chat.ErrNameTaken, chat.ErrNameOwned, chat.ErrShutdown} {
		if text == chat.RefusalText(err) {
			return true
		}
	}
	switch text {
	case chat.TextTooMany, chat.TextTooFast, chat.TextLoginTimeout, chat.TextTooManyRooms:
		return true
	}
	for _, prefix := range []string{"Room names may only", "Login failed", "Could not create the room",
		"You've created too many rooms"} { // the server's --rooms-per-hour: run it with 0 for --rooms
		if strings.HasPrefix(text, prefix) {
			return true
		}
	}
	return false
}

func (telnetDoor) reader(r *run, u *user) func() {
	lr := u.sess.(*telnetSession).lr
	return func() { r.readLines(u, lr) }
}

// readLines counts what a line-protocol session receives until it ends.
func (r *run) readLines(u *user, lr *lineReader) {
	for {
		line, err := lr.next()
		if err != nil {
			r.ended()
			return
		}
		from, text, ok := chatText(line)
		if !ok {
			r.other.Add(1)
			continue
		}
		if len(text) > 0 && text[0] == idPrefix {
			if sender, seq, nanos, ok := parseID(text); ok {
				r.led.saw(u.recv, sender, seq, nanos, lr.readAt)
				continue
			}
		}
		if string(from) == chat.SystemName {
			r.noteSystem(text)
		}
		r.other.Add(1)
	}
}
