// Package metrics serves chatserver's Prometheus metrics, /healthz and
// /readyz on the metrics address. Each App has its own registry: nothing
// is registered globally. The counters live where things happen (chat.Stats,
// chat.SlowClients, the store) as atomics and are read at scrape time; the
// histograms are client_golang's, whose Observe takes no lock.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chatserver/chat"
)

// DefaultAddr is where chatserver health looks when told nowhere else.
const DefaultAddr = "127.0.0.1:9464"

// History is what the metrics read of the store's message writer.
type History interface {
	Written() uint64 // messages stored
	Dropped() uint64 // messages never stored: queue full, or their batch failed
}

// Metrics is one App's registry and the histograms its parts observe.
// Safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	fanOut      prometheus.Histogram
	frameTime   prometheus.Histogram
	frameBytes  prometheus.Histogram
	batchWrites prometheus.Histogram
}

// New returns a registry with the Go and process collectors and the
// histograms, ready for Watch.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		fanOut: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatserver_fanout_seconds",
			Help:    "Time from a room message's arrival in the engine to the end of its fan-out: every member's line queued and their writers woken.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 11), // 1 µs … 1 s
		}),
		frameTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatserver_ssh_ui_frame_seconds",
			Help:    "Time to build an SSH UI frame and write it to the session.",
			Buckets: prometheus.ExponentialBuckets(1e-5, 4, 9), // 10 µs … 0.65 s
		}),
		frameBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatserver_ssh_ui_frame_bytes",
			Help:    "Bytes of an SSH UI frame.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 8), // 64 B … 1 MiB
		}),
		batchWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatserver_history_batch_seconds",
			Help:    "Time to write one batch of messages to the store.",
			Buckets: prometheus.ExponentialBuckets(1e-4, 4, 9), // 0.1 ms … 6.5 s
		}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.fanOut, m.frameTime, m.frameBytes, m.batchWrites)
	return m
}

// ObserveFanOut records one message's fan-out time (chat.Config.ObserveFanOut).
func (m *Metrics) ObserveFanOut(d time.Duration) { m.fanOut.Observe(d.Seconds()) }

// ObserveFrame records one SSH UI frame (sshd.Config.ObserveFrame).
func (m *Metrics) ObserveFrame(d time.Duration, bytes int) {
	m.frameTime.Observe(d.Seconds())
	m.frameBytes.Observe(float64(bytes))
}

// ObserveBatch records one batch written to the store (store.Options.ObserveBatch).
func (m *Metrics) ObserveBatch(d time.Duration) { m.batchWrites.Observe(d.Seconds()) }

// Watch registers the counters and gauges read from hub, and from h if
// it is not nil, at every scrape. Call it once.
func (m *Metrics) Watch(hub *chat.Hub, h History) {
	m.reg.MustRegister(&hubCollector{hub: hub, history: h})
}

// Handler serves /metrics, /healthz (200 while the process runs) and
// /readyz: 200, or 503 with ready's error as the body.
func (m *Metrics) Handler(ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Addr returns the address to listen on for --metrics-addr s: a bare port
// ("9464") or an address without a host (":9464") is loopback's; another
// interface only when named ("0.0.0.0:9464", "[::]:9464", "10.0.0.5:9464").
func Addr(s string) (string, error) {
	if !strings.Contains(s, ":") {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("metrics address %q: %w", s, err)
	}
	if port == "" {
		return "", fmt.Errorf("metrics address %q: no port", s)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Server serves a Handler on its listener until Run's context ends.
type Server struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// limits bound what a client of the metrics address can hold: a scraper
// needs one or two connections and asks in a second, so a client that
// sends its request slowly, reads its answer slowly or keeps a connection
// idle is cut, and past conns connections a new one waits for a slot.
type limits struct {
	header, read, write, idle time.Duration
	conns                     int
}

// defaultLimits are Listen's: a scrape of a large registry, or /readyz's
// five-second check, ends well within write.
var defaultLimits = limits{
	header: 5 * time.Second, read: 10 * time.Second, write: 30 * time.Second, idle: 15 * time.Second,
	conns: 64,
}

// maxHeaderBytes bounds a request's header; a scraper's is a few hundred
// bytes.
const maxHeaderBytes = 16 << 10

// Listen listens on addr (see Addr) for h.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	return listen(addr, h, log, defaultLimits)
}

// listen is Listen with the limits lim.
func listen(addr string, h http.Handler, log *slog.Logger, lim limits) (*Server, error) {
	a, err := Addr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Server{ln: newCappedListener(ln, lim.conns), log: log, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.header,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}, nil
}

// cappedListener accepts at most cap(slots) connections at once: Accept
// waits for one of them to close.
type cappedListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newCappedListener(ln net.Listener, n int) *cappedListener {
	return &cappedListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *cappedListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, free: func() { <-l.slots }}, nil
}

// Close closes the listener and ends an Accept waiting for a slot.
func (l *cappedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// slotConn frees its listener's slot on its first Close.
type slotConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.free)
	return c.Conn.Close()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close closes the listener of a server that will not Run.
func (s *Server) Close() error { return s.ln.Close() }

// Run serves until ctx is done, then closes the server and returns once
// every request it was serving has ended (within a second, else it cuts
// them).
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.srv.Shutdown(sctx); err != nil {
			s.srv.Close()
		}
	})
	s.log.Info("listening", "door", "metrics", "addr", s.ln.Addr().String())
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
