// Package apptest starts a real chatserver on ephemeral loopback ports and
// talks to it as users do, for end-to-end tests.
package apptest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/bots/hellobot"
	"chatserver/bots/helperbot"
	"chatserver/chat"
)

// Wait is how long an expectation waits before it fails: generous, for a
// loaded 2-core machine under -race.
const Wait = 15 * time.Second

// Server is a running App.
type Server struct {
	App    *app.App
	Telnet string // host:port of the telnet door
	SSH    string // host:port of the SSH door
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// Config returns an app.Config for tests: both doors on 127.0.0.1:0,
// helperbot and hellobot, flood control and the limits on rooms at their
// defaults, a fresh data dir. Every test user comes from 127.0.0.1, so a
// test that creates more than chat.DefaultRoomsPerHour rooms sets
// RoomsPerHour to 0.
func Config(t testing.TB) app.Config {
	return app.Config{
		TelnetAddr:   "127.0.0.1:0",
		SSHAddr:      "127.0.0.1:0",
		DataDir:      t.TempDir(),
		Plugins:      []chat.Plugin{helperbot.New(), hellobot.Bot{}},
		FloodBurst:   chat.DefaultFloodBurst,
		FloodRate:    chat.DefaultFloodRate,
		RoomsPerHour: chat.DefaultRoomsPerHour,
		RoomExpiry:   chat.DefaultRoomExpiry,
	}
}

// Start starts an App from cfg and stops it when the test ends.
func Start(t testing.TB, cfg app.Config) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("app.New: %v", err)
	}
	s := &Server{App: a, cancel: cancel, done: make(chan error, 1)}
	if addr := a.TelnetAddr(); addr != nil {
		s.Telnet = addr.String()
	}
	if addr := a.SSHAddr(); addr != nil {
		s.SSH = addr.String()
	}
	go func() { s.done <- a.Run(ctx) }()
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down as SIGTERM would and waits for it.
func (s *Server) Stop(t testing.TB) {
	s.once.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("app.Run: %v", err)
			}
		case <-time.After(Wait):
			t.Errorf("app.Run did not return %v after shutdown", Wait)
		}
	})
}

// Client is one telnet connection.
type Client struct {
	t     testing.TB
	Conn  net.Conn
	lines chan string
	err   chan error
}

// Dial connects to a telnet door at addr.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	return DialFrom(t, addr, "")
}

// DialFrom connects to a telnet door at addr from the local address from
// (an IP such as "127.0.0.2": on Linux all of 127/8 is loopback), or from
// any if from is "": for a test of what is tied to a source address.
func DialFrom(t testing.TB, addr, from string) *Client {
	t.Helper()
	conn, err := dialer(from).Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c := &Client{t: t, Conn: conn, lines: make(chan string, 100000), err: make(chan error, 1)}
	go c.read()
	t.Cleanup(func() { conn.Close() })
	return c
}

// dialer dials from the local IP from, or any if from is "".
func dialer(from string) *net.Dialer {
	d := &net.Dialer{Timeout: Wait}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return d
}

func (c *Client) read() {
	br := bufio.NewReaderSize(c.Conn, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			c.lines <- strings.TrimSuffix(line, "\n")
		}
		if err != nil {
			c.err <- err
			close(c.lines)
			return
		}
	}
}

// Send writes line followed by "\r\n", as a telnet client does.
func (c *Client) Send(line string) {
	c.t.Helper()
	c.SendRaw([]byte(line + "\r\n"))
}

// SendRaw writes b as it is.
func (c *Client) SendRaw(b []byte) {
	c.t.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(Wait))
	if _, err := c.Conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Next returns the next line the server sent, without its "\n"; it fails
// the test if none comes within Wait.
func (c *Client) Next() string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a line")
		}
		return l
	case <-time.After(Wait):
		c.t.Fatalf("no line within %v", Wait)
	}
	return ""
}

// Expect fails the test unless the next lines are want, in order.
func (c *Client) Expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.Next(); got != w {
			c.t.Fatalf("got line %q, want %q", got, w)
		}
	}
}

// Until reads lines until one equals want and returns the lines before it.
func (c *Client) Until(want string) []string {
	c.t.Helper()
	var before []string
	for {
		l := c.Next()
		if l == want {
			return before
		}
		before = append(before, l)
	}
}

// Sync sends "/room" and returns every line that arrived before its answer:
// what the server had queued for this user when the sentinel was handled.
func (c *Client) Sync() []string {
	c.t.Helper()
	c.Send("/room")
	var before []string
	for {
		l := c.Next()
		if strings.HasPrefix(l, "<system> You're currently in the '") {
			return before
		}
		before = append(before, l)
	}
}

// Quiet fails the test if anything arrived for this user before a sentinel.
func (c *Client) Quiet() {
	c.t.Helper()
	if got := c.Sync(); len(got) > 0 {
		c.t.Fatalf("unexpected lines: %q", got)
	}
}

// Welcome reads the three lines every new connection gets.
func (c *Client) Welcome() {
	c.t.Helper()
	c.Expect("<system> Welcome to the chat room!",
		"<system> You're not currently connected.",
		"<system> Please enter a username:")
}

// Login connects to addr and logs in as name, consuming the welcome, the
// login line and the user's own join line.
func Login(t testing.TB, addr, name string) *Client {
	t.Helper()
	c := Dial(t, addr)
	c.Welcome()
	c.Send(name)
	c.Expect("<system> Logging in as " + name)
	c.Until("<helperbot> " + name + " has joined the chat room!") // past lines said before, still on their way from another node of a cluster
	return c
}

// Closed waits until the server closed the connection, failing after Wait.
// Lines still arriving are returned.
func (c *Client) Closed() []string {
	c.t.Helper()
	var rest []string
	deadline := time.After(Wait)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				if err := <-c.err; !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					var ne net.Error
					if !errors.As(err, &ne) {
						c.t.Logf("connection ended with %v", err)
					}
				}
				return rest
			}
			rest = append(rest, l)
		case <-deadline:
			c.t.Fatalf("connection still open after %v", Wait)
			return rest
		}
	}
}

// Eventually polls cond until it holds, failing the test after Wait.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v", what, Wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
