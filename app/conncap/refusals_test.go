package conncap_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"chatserver/app/conncap"
)

// TestRefusalsRateLimited: a flood of refused connections logs one line,
// not one a connection.
func TestRefusalsRateLimited(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	r := conncap.NewRefusals("telnet", log)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 500 {
				r.Refused("192.0.2." + string(rune('1'+i)) + ":4000")
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "connections refused") || !strings.Contains(lines[0], "count=1") {
		t.Errorf("4 000 refusals logged %d lines: %q; want one line, of the first", len(lines), lines)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
