package lineproto_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"chatserver/app/jsonlines"
	"chatserver/app/lineproto"
	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// These tests run Serve on one end of a net.Pipe inside a synctest bubble:
// the clock is fake, so timeouts and flood control are exact and instant.

func newHub(t *testing.T) *chat.Hub {
	t.Helper()
	h, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), Plugins: []chat.Plugin{helperbot.New()}})
	if err != nil {
		t.Fatalf("chat.New: %v", err)
	}
	return h
}

// engineUser logs name in directly on the hub; its lines are read with lines.
func engineUser(t *testing.T, h *chat.Hub, name string) *chat.Session {
	t.Helper()
	s, err := h.Login(t.Context(), name, chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(100000)})
	if err != nil {
		t.Fatalf("Login(%q): %v", name, err)
	}
	lines(s)
	return s
}

// lines drains what s was sent, as the line protocol renders it.
func lines(s *chat.Session) []string {
	evs, _, _ := s.Outbox().Drain(nil)
	var out []string
	for _, e := range evs {
		if l := e.Line(); l != nil {
			out = append(out, strings.TrimSuffix(string(l), "\n"))
		}
	}
	return out
}

// pipeUser is the client end of a connection served by Serve.
type pipeUser struct {
	t    *testing.T
	conn net.Conn
	done chan error // Serve's result

	mu     sync.Mutex
	got    []string
	closed bool
}

// serve starts Serve on a pipe; the client reads only after read is called.
func serve(t *testing.T, ctx context.Context, h *chat.Hub, opt lineproto.Options) *pipeUser {
	t.Helper()
	srv, cli := net.Pipe()
	u := &pipeUser{t: t, conn: cli, done: make(chan error, 1)}
	opt.Telnet = true
	go func() { u.done <- lineproto.Serve(ctx, h, srv, opt) }()
	t.Cleanup(func() { cli.Close() })
	return u
}

// read starts the client's reader.
func (u *pipeUser) read() *pipeUser {
	go func() {
		br := bufio.NewReader(u.conn)
		for {
			l, err := br.ReadString('\n')
			u.mu.Lock()
			if l != "" {
				u.got = append(u.got, strings.TrimSuffix(l, "\n"))
			}
			if err != nil {
				u.closed = true
			}
			u.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return u
}

// take returns the lines read so far and forgets them. Call it after
// synctest.Wait.
func (u *pipeUser) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	got := u.got
	u.got = nil
	return got
}

func (u *pipeUser) isClosed() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.closed
}

func (u *pipeUser) send(s string) {
	u.t.Helper()
	if _, err := u.conn.Write([]byte(s)); err != nil {
		u.t.Fatalf("write: %v", err)
	}
}

var welcome = []string{
	"<system> Welcome to the chat room!",
	"<system> You're not currently connected.",
	"<system> Please enter a username:",
}

func expectLines(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s got %q, want %q", who, got, want)
	}
}

func count(lines []string, want string) int {
	n := 0
	for _, l := range lines {
		if l == want {
			n++
		}
	}
	return n
}

const tooFast = "<system> You're sending too fast, slow down."

// A connection that does not log in within the login timeout is told so and
// closed.
func TestServeLoginTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		u := serve(t, t.Context(), h, lineproto.Options{}).read()
		time.Sleep(lineproto.DefaultLoginTimeout - time.Second)
		synctest.Wait()
		expectLines(t, "the client", u.take(), welcome...)
		if u.isClosed() {
			t.Fatalf("closed before the login timeout")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		expectLines(t, "the client", u.take(), "<system> Login timed out, goodbye.")
		if !u.isClosed() {
			t.Fatalf("still open after the login timeout")
		}
		if err := <-u.done; err != nil {
			t.Errorf("Serve = %v", err)
		}
	})
}

// A logged-in user is not subject to the login timeout.
func TestServeNoTimeoutAfterLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		u := serve(t, t.Context(), h, lineproto.Options{}).read()
		u.send("alice\r\n")
		time.Sleep(10 * lineproto.DefaultLoginTimeout)
		u.send("/room\r\n")
		synctest.Wait()
		want := append(append([]string{}, welcome...), "<system> Logging in as alice",
			"<helperbot> alice has joined the chat room!", "<system> You're currently in the 'chat' room.")
		expectLines(t, "alice", u.take(), want...)
	})
}

// Flood control, exactly: a burst of 20 lines (the login line included),
// then 5 a second; the notice at most once a second; the connection stays.
func TestServeFloodControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		bob := engineUser(t, h, "bob")
		u := serve(t, t.Context(), h, lineproto.Options{FloodBurst: 20, FloodRate: 5}).read()
		var b strings.Builder
		b.WriteString("alice\r\n")
		for i := range 30 {
			fmt.Fprintf(&b, "m%d\r\n", i)
		}
		u.send(b.String())
		synctest.Wait()
		got := lines(bob)
		want := []string{"<helperbot> alice has joined the chat room!"}
		for i := range 19 {
			want = append(want, "<alice> m"+strconv.Itoa(i))
		}
		expectLines(t, "bob", got, want...)
		if n := count(u.take(), tooFast); n != 1 {
			t.Fatalf("alice got %d slow-down lines, want 1", n)
		}

		// 200 ms later there is room for one line, and no new notice
		// within the second.
		time.Sleep(200 * time.Millisecond)
		u.send("late\r\nlater\r\n")
		synctest.Wait()
		expectLines(t, "bob", lines(bob), "<alice> late")
		expectLines(t, "alice", u.take())

		// A second on, five lines pass and the notice comes again, once.
		time.Sleep(time.Second)
		u.send(strings.Repeat("again\r\n", 10))
		synctest.Wait()
		expectLines(t, "bob", lines(bob), "<alice> again", "<alice> again", "<alice> again", "<alice> again", "<alice> again")
		expectLines(t, "alice", u.take(), tooFast)
		select {
		case err := <-u.done:
			t.Fatalf("Serve returned %v: the flood closed the connection", err)
		default:
		}
	})
}

// Every line counts, before login and empty ones included.
func TestServeFloodCountsEmptyLinesBeforeLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		u := serve(t, t.Context(), h, lineproto.Options{FloodBurst: 20, FloodRate: 5}).read()
		u.send(strings.Repeat("\r\n", 20) + "alice\r\n")
		synctest.Wait()
		want := append(append([]string{}, welcome...), tooFast)
		expectLines(t, "the client", u.take(), want...)
		if h.Online() != 0 {
			t.Fatalf("the dropped login line logged in")
		}
		time.Sleep(time.Second)
		u.send("alice\r\n")
		synctest.Wait()
		expectLines(t, "alice", u.take(), "<system> Logging in as alice", "<helperbot> alice has joined the chat room!")
	})
}

// A client that stops reading costs a bounded outbox: when it reads again
// it is told how many lines it missed and gets the newest ones, and every
// line sent to it was either delivered or counted. Its stall never blocks
// the sender.
func TestServeStalledReaderDropsOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		bob := engineUser(t, h, "bob")
		// 64 lines of "<bob> message 4999\n"
		u := serve(t, t.Context(), h, lineproto.Options{OutboxBytes: 64 * 19, WriteTimeout: time.Minute})
		u.send("alice\r\n") // the client does not read: the welcome is stuck in the pipe
		synctest.Wait()
		lines(bob)
		const n = 5000
		for i := range n {
			bob.Input(t.Context(), "message "+strconv.Itoa(i)) // never blocks, or the bubble deadlocks
		}
		time.Sleep(30 * time.Second)
		u.read()
		synctest.Wait()
		got := u.take()
		dropped, delivered := 0, 0
		last := -1
		for _, l := range got {
			if k, ok := chattest.Dropped(l); ok {
				dropped += k
				continue
			}
			delivered++
			if rest, ok := strings.CutPrefix(l, "<bob> message "); ok {
				k, _ := strconv.Atoi(rest)
				if k <= last {
					t.Fatalf("message %d after %d: out of order", k, last)
				}
				last = k
			}
		}
		t.Logf("%d lines delivered, %d counted as dropped", delivered, dropped)
		// 3 welcome lines, the login line, the join line and the messages.
		if total := 3 + 2 + n; delivered+dropped != total {
			t.Errorf("%d delivered + %d counted as dropped, want %d", delivered, dropped, total)
		}
		if dropped == 0 || delivered > 64+3+1 {
			t.Errorf("%d delivered, %d dropped: the outbox of 64 lines was not bounded", delivered, dropped)
		}
		if last != n-1 {
			t.Errorf("the last message delivered is %d, want the newest, %d", last, n-1)
		}
		// Still connected and usable.
		u.send("/room\r\n")
		synctest.Wait()
		expectLines(t, "alice", u.take(), "<system> You're currently in the 'chat' room.")
	})
}

// A client that never reads again is disconnected after the write timeout;
// the others see it leave.
func TestServeStalledReaderIsCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		bob := engineUser(t, h, "bob")
		u := serve(t, t.Context(), h, lineproto.Options{WriteTimeout: 10 * time.Second})
		u.send("alice\r\n")
		synctest.Wait()
		lines(bob)
		for i := range 100 {
			bob.Input(t.Context(), "message "+strconv.Itoa(i))
		}
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if h.Online() != 2 || h.SlowClients().Cut() != 0 {
			t.Fatalf("alice cut before the write timeout")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		select {
		case err := <-u.done:
			if err != nil {
				t.Errorf("Serve = %v", err)
			}
		default:
			t.Fatalf("Serve still running after the write timeout")
		}
		if got := h.SlowClients().Cut(); got != 1 {
			t.Errorf("SlowClients().Cut() = %d, want 1", got)
		}
		expectLines(t, "bob", lines(bob), "<helperbot> alice has left the chat room!")
		if h.Online() != 1 {
			t.Errorf("%d online, want bob alone", h.Online())
		}
	})
}

// A user who is still at the login prompt when the server shuts down is
// told so, and the connection closes.
func TestServeShutdownBeforeLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(t)
		ctx, cancel := context.WithCancel(t.Context())
		u := serve(t, ctx, h, lineproto.Options{}).read()
		synctest.Wait()
		u.take()
		cancel()
		synctest.Wait()
		expectLines(t, "the client", u.take(), "<system> The server is shutting down.")
		if !u.isClosed() {
			t.Errorf("connection still open")
		}
	})
}

// gatedConn is a connection whose writes wait until the gate opens; it
// records each write.
type gatedConn struct {
	in   *io.PipeReader
	gate chan struct{}

	mu     sync.Mutex
	writes []string
}

func (c *gatedConn) Read(p []byte) (int, error) { return c.in.Read(p) }
func (c *gatedConn) Write(p []byte) (int, error) {
	<-c.gate
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, string(p))
	return len(p), nil
}
func (c *gatedConn) Close() error { return c.in.Close() }

// Lines that queue up while a write is in progress leave in one write, as
// text lines or as Options.Format renders them (JSON lines).
func TestServeCoalescesWrites(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format func([]byte, *chat.Event) []byte
		each   string // what each message's line holds
	}{
		{"text", nil, "<bob> message "},
		{"json", jsonlines.Append, `{"type":"message",`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHub(t)
				bob := engineUser(t, h, "bob")
				pr, pw := io.Pipe()
				conn := &gatedConn{in: pr, gate: make(chan struct{})}
				done := make(chan error, 1)
				go func() {
					done <- lineproto.Serve(t.Context(), h, conn, lineproto.Options{Telnet: true, Format: tc.format})
				}()
				pw.Write([]byte("alice\r\n"))
				synctest.Wait()
				for i := range 100 {
					bob.Input(t.Context(), "message "+strconv.Itoa(i))
				}
				close(conn.gate)
				synctest.Wait()
				conn.mu.Lock()
				writes := conn.writes
				conn.mu.Unlock()
				all := strings.Join(writes, "")
				if c := strings.Count(all, tc.each); c != 100 {
					t.Fatalf("%d messages written, want 100", c)
				}
				if c := strings.Count(all, "\n"); c != 105 {
					t.Errorf("%d lines written, want 105", c)
				}
				// The first write holds what was queued when the writer started
				// (part of the welcome); everything else leaves in one more write.
				if len(writes) > 2 {
					t.Errorf("%d writes for 105 lines, want at most 2: %q", len(writes), writes)
				}
				pw.Close()
				<-done
			})
		})
	}
}
