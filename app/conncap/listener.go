package conncap

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Accept back-off: as net/http's, 5 ms doubling to 1 s; and at most one
// log line per logEvery about it.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
	logEvery   = 10 * time.Second
)

// Listener is a net.Listener that rides out failures to accept, above all
// the lack of file descriptors (EMFILE, ENFILE): instead of returning the
// error, which ends a door, Accept waits and tries again, backing off from
// 5 ms to 1 s, and logs at most one line every 10 s, with how many accepts
// failed since the line before; once accepts succeed again it says so.
// Accept returns only a connection or, once the listener is closed,
// net.ErrClosed. Safe for concurrent use.
type Listener struct {
	net.Listener
	door string
	log  *slog.Logger

	closeOnce sync.Once
	closed    chan struct{}

	mu       sync.Mutex
	failing  bool        // the last accept failed
	told     bool        // a failure was logged, the recovery not yet
	unlogged int         // failures no line has counted yet
	lastLine time.Time   // when the last line was logged
	later    *time.Timer // logs the recovery that came too soon after a line
}

// NewListener wraps ln, the listener of door ("telnet", "ssh"), which
// goes in the log lines.
func NewListener(ln net.Listener, door string, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, door: door, log: log, closed: make(chan struct{})}
}

// Accept returns the next connection; see Listener.
func (l *Listener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		conn, err := l.Listener.Accept()
		if err == nil {
			if backoff > 0 {
				l.recovered()
			}
			return conn, nil
		}
		select {
		case <-l.closed:
			return nil, net.ErrClosed
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		backoff = min(max(2*backoff, minBackoff), maxBackoff)
		l.failed(err, backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-l.closed:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and ends an Accept that is backing off.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.mu.Lock()
		if l.later != nil {
			l.later.Stop()
		}
		l.mu.Unlock()
	})
	return l.Listener.Close()
}

func (l *Listener) failed(err error, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failing = true
	l.unlogged++
	if now := time.Now(); now.Sub(l.lastLine) >= logEvery {
		l.log.Warn("accept failed, backing off", "door", l.door, "failures", l.unlogged, "err", err, "retry_in", retry)
		l.unlogged, l.lastLine, l.told = 0, now, true
	}
}

func (l *Listener) recovered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failing = false
	if wait := logEvery - time.Since(l.lastLine); wait > 0 {
		if l.later == nil {
			l.later = time.AfterFunc(wait, l.logLater)
		} else {
			l.later.Reset(wait)
		}
		return
	}
	l.logRecovered()
}

// logLater logs a recovery that came within logEvery of the line before,
// unless accepts have failed again since: their own line will count them.
func (l *Listener) logLater() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.failing {
		l.logRecovered()
	}
}

// logRecovered says that accepts succeed again, with the failures not yet
// counted; l.mu is held.
func (l *Listener) logRecovered() {
	if l.unlogged == 0 && !l.told {
		return
	}
	l.log.Info("accepting again", "door", l.door, "failures", l.unlogged)
	l.unlogged, l.lastLine, l.told = 0, time.Now(), false
}
