package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestAddr: a bare port or one without a host is
// loopback's; a named interface is kept.
func TestAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"9464", "127.0.0.1:9464"},
		{":9464", "127.0.0.1:9464"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::]:9464", "[::]:9464"},
		{"10.1.2.3:9464", "10.1.2.3:9464"},
	} {
		got, err := Addr(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Addr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"host:", "a:b:c"} {
		if got, err := Addr(bad); err == nil {
			t.Errorf("Addr(%q) = %q, want an error", bad, got)
		}
	}
}

// TestListenLimits: a client of the metrics address cannot hold a
// connection: one that sends half a request, one that keeps a
// connection idle after its answer, and one over the connection cap
// waits until a slot frees; and Listen's limits are all set.
func TestListenLimits(t *testing.T) {
	for name, v := range map[string]time.Duration{"header": defaultLimits.header, "read": defaultLimits.read,
		"write": defaultLimits.write, "idle": defaultLimits.idle} {
		if v <= 0 {
			t.Errorf("defaultLimits.%s = %v: a client can hold a connection forever", name, v)
		}
	}
	if defaultLimits.conns <= 0 {
		t.Errorf("defaultLimits.conns = %d, want a cap", defaultLimits.conns)
	}

	lim := limits{header: 300 * time.Millisecond, read: time.Second, write: time.Second, idle: 300 * time.Millisecond, conns: 2}
	srv, err := listen("127.0.0.1:0", New().Handler(func(context.Context) error { return nil }), slog.New(slog.DiscardHandler), lim)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := srv.Addr().String()

	// closed reports whether the server closes c within a generous
	// deadline (reading and discarding what it sends).
	closed := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.Copy(io.Discard, c)
		return err == nil || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	slow := dial()
	fmt.Fprint(slow, "GET /metrics HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	idle := dial()
	fmt.Fprint(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") // keep-alive, then silence
	// Both slots are taken: a third connection is served once one frees.
	third := dial()
	fmt.Fprint(third, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

	if !closed(slow) {
		t.Errorf("a half-sent request's connection was not closed")
	}
	if !closed(idle) {
		t.Errorf("an idle keep-alive connection was not closed")
	}
	third.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(third)
	if err != nil || !strings.Contains(string(b), "200 OK") {
		t.Errorf("the connection over the cap read %q, %v; want 200 OK once a slot freed", b, err)
	}
}

// historyCounts is a History of fixed counts.
type historyCounts struct{ written, dropped uint64 }

func (h historyCounts) Written() uint64 { return h.written }
func (h historyCounts) Dropped() uint64 { return h.dropped }

// TestMetricNamesLint: every metric of the registry, the engine's, the
// store's and the histograms, passes promlint (Prometheus's naming
// conventions: _total counters, base units, help text).
func TestMetricNamesLint(t *testing.T) {
	t.Parallel()
	m := New()
	m.Watch(chattest.NewHub(t, chat.Config{}), historyCounts{1, 1})
	m.ObserveFanOut(time.Millisecond)
	m.ObserveFrame(time.Millisecond, 100)
	m.ObserveBatch(time.Millisecond)
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "chatserver_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

// TestCountersRead: the counters a scrape reads come from where they are
// counted: a slow client cut by a door, messages the store dropped.
func TestCountersRead(t *testing.T) {
	t.Parallel()
	m := New()
	hub := chattest.NewHub(t, chat.Config{})
	m.Watch(hub, historyCounts{written: 7, dropped: 2})
	hub.SlowClients().CountCut() // as a door does when it cuts a client
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if ms := mf.GetMetric(); len(ms) == 1 && ms[0].GetCounter() != nil {
			got[mf.GetName()] = ms[0].GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"chatserver_slow_clients_cut_total": 1,
		"chatserver_history_writes_total":   7,
		"chatserver_history_dropped_total":  2,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}
