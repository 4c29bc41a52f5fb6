package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/chat"
)

// sshDoor logs users in over SSH by keyboard-interactive (no key, so no
// name is tied to a key), with a pty (the UI) or without (line protocol).
type sshDoor struct {
	pty bool
}

func newSSHDoor(cfg Config) (*sshDoor, error) {
	return &sshDoor{pty: cfg.Door == DoorSSH}, nil
}

func (d *sshDoor) lineEnd() string {
	if d.pty {
		return "\r" // Enter on a terminal
	}
	return "\n"
}

// sshSession is one SSH connection with one session on it.
type sshSession struct {
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	out    io.Reader
	lr     *lineReader // line mode
	scr    *screen     // pty
	once   sync.Once
}

func (s *sshSession) Read(p []byte) (int, error)  { return s.out.Read(p) }
func (s *sshSession) Write(p []byte) (int, error) { return s.in.Write(p) }
func (s *sshSession) Close() error {
	var err error
	s.once.Do(func() { err = s.client.Close() })
	return err
}

func (d *sshDoor) login(ctx context.Context, r *run, u *user) (session, error) {
	return r.connect(ctx, u, func(conn net.Conn) (session, error) { return d.open(conn, r, u) })
}

func (d *sshDoor) open(conn net.Conn, r *run, u *user) (*sshSession, error) {
	cfg := &gossh.ClientConfig{
		User: u.name,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(
			func(string, string, []string, []bool) ([]string, error) { return nil, nil })},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), // a load test of one's own server
	}
	c, chans, reqs, err := gossh.NewClientConn(conn, r.addrs[u.node], cfg)
	if err != nil {
		return nil, fmt.Errorf("ssh handshake: %w", err)
	}
	client := gossh.NewClient(c, chans, reqs)
	s := &sshSession{client: client}
	fail := func(what string, err error) (*sshSession, error) {
		client.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if s.sess, err = client.NewSession(); err != nil {
		return fail("ssh session", err)
	}
	if d.pty {
		if err := s.sess.RequestPty("xterm-256color", r.cfg.PtyHeight, r.cfg.PtyWidth, gossh.TerminalModes{}); err != nil {
			return fail("pty", err)
		}
	}
	if s.in, err = s.sess.StdinPipe(); err != nil {
		return fail("stdin", err)
	}
	if s.out, err = s.sess.StdoutPipe(); err != nil {
		return fail("stdout", err)
	}
	if err := s.sess.Shell(); err != nil {
		return fail("shell", err)
	}
	room := r.rooms[u.room]
	if !d.pty {
		s.lr = newLineReader(s.out)
		if err := lineLogin(s.lr, s.in, u.name, room, "\n", false); err != nil {
			return fail("login", err)
		}
		return s, nil
	}
	s.scr = newScreen(r.cfg.PtyWidth, r.cfg.PtyHeight)
	if err := s.waitScreen(newStatusMark(u.name, chat.DefaultRoom)); err != nil {
		return fail("login", err)
	}
	if !isDefaultRoom(room) {
		if _, err := io.WriteString(s.in, "/switch "+room+"\r"); err != nil {
			return fail("switch", err)
		}
		if err := s.waitScreen(newStatusMark(u.name, room)); err != nil {
			return fail("switch", err)
		}
	}
	return s, nil
}

// statusMark is what the UI's status bar shows of who and where a user
// is: " NAME │ #ROOM …". A row shows it if it holds " NAME " and, after
// it, "#ROOM" at the end of a word.
type statusMark struct{ name, room []byte }

func newStatusMark(name, room string) statusMark {
	return statusMark{[]byte(" " + name + " "), []byte("#" + room)}
}

func (m statusMark) in(row []byte) bool {
	i := bytes.Index(row, m.name)
	if i < 0 {
		return false
	}
	rest := row[i+len(m.name):]
	for {
		j := bytes.Index(rest, m.room)
		if j < 0 {
			return false
		}
		end := j + len(m.room)
		if end == len(rest) || rest[end] == ' ' {
			return true
		}
		rest = rest[end:]
	}
}

// errScreenEnded is returned when a pty session ends during the login.
var errScreenEnded = errors.New("session ended")

// waitScreen draws the session's output until a row shows mark.
func (s *sshSession) waitScreen(mark statusMark) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.out.Read(buf)
		s.scr.Write(buf[:n])
		found := false
		for y := range s.scr.h {
			if mark.in(s.scr.row(y)) {
				found = true
			}
		}
		s.scr.scanDirty(func([]byte) {}) // what the login drew is not counted
		if found {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				err = errScreenEnded
			}
			return fmt.Errorf("waiting for %q and %q on the screen: %w", mark.name, mark.room, err)
		}
	}
}

func (d *sshDoor) reader(r *run, u *user) func() {
	s := u.sess.(*sshSession)
	if !d.pty {
		return func() { r.readLines(u, s.lr) }
	}
	return func() { r.readScreen(u, s) }
}

// readScreen counts the ids that show up on a pty session's screen, each
// at its first appearance, until the session ends.
func (r *run) readScreen(u *user, s *sshSession) {
	buf := make([]byte, 32<<10)
	tooFast := []byte("sending too fast")
	for {
		n, err := s.out.Read(buf)
		if n > 0 {
			now := time.Now().UnixNano()
			s.scr.Write(buf[:n])
			s.scr.scanDirty(func(row []byte) {
				findIDs(row, func(sender, seq int, nanos int64) {
					r.led.saw(u.recv, sender, seq, nanos, now)
				})
				if bytes.Contains(row, tooFast) {
					r.flood.Add(1)
				}
			})
			r.other.Add(1)
		}
		if err != nil {
			r.ended()
			return
		}
	}
}
