package apptest

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// Log keeps what a logger wrote, for a test to read. Safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewLog returns a text logger at level debug and what it writes.
func NewLog() (*slog.Logger, *Log) {
	l := &Log{}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

// Write keeps p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Lines returns the lines written so far that contain every one of subs.
func (l *Log) Lines(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.buf.String()) {
		if containsAll(line, subs) {
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// WaitFor waits until a line containing every one of subs is written, and
// returns the first such line; it fails the test after Wait.
func (l *Log) WaitFor(t testing.TB, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		if got := l.Lines(subs...); len(got) > 0 {
			return got[0]
		}
		if time.Now().After(deadline) {
			var near []string
			if len(subs) > 0 {
				near = l.Lines(subs[0])
			}
			t.Fatalf("log line with %s: none after %v; lines with %s:\n%s", strings.Join(subs, ", "), Wait, subs[0], strings.Join(near, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
