package store

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
)

// syncBuffer is a log's output, safe for the writer and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openHooked opens a store in a fresh folder with opts, logging to the
// returned buffer; it is closed when the test ends.
func openHooked(t *testing.T, opts Options) (*SQLite, *syncBuffer) {
	t.Helper()
	var logs syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "chat.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &logs
}

// TestWriterPanic: a panic while writing a batch loses that batch only,
// logged with the stack; the writer goes on, and Flush and Close return.
func TestWriterPanic(t *testing.T) {
	s, logs := openHooked(t, Options{beforeWrite: func(batch []chat.Message) {
		for _, m := range batch {
			if m.Text == "boom" {
				panic("bug in the writer")
			}
		}
	}})
	now := time.Now()
	s.AppendMessage(chat.Message{Room: "chat", From: "alice", Text: "boom", Time: now})
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.AppendMessage(chat.Message{Room: "chat", From: "alice", Text: "fine", Time: now.Add(time.Millisecond)})
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := s.History(t.Context(), "chat", now.Add(time.Hour), 10)
	if err != nil || len(h) != 1 || h[0].Text != "fine" {
		t.Errorf("History = %v, %v; want the message after the panic only", h, err)
	}
	if got := logs.String(); !strings.Contains(got, `msg="panic in the store writer, batch lost" messages=1 lost=1 panic="bug in the writer" stack=`) {
		t.Errorf("log:\n%s\nwant the panic with its stack", got)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after a panic: %v", err)
	}
}
