package store

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
	s, logs := openHooked(t, Options{beforeWrite: func(batch []chat.Message) error {
		for _, m := range batch {
			if m.Text == "boom" {
				panic("bug in the writer")
			}
		}
		return nil
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
	h, err := s.History(t.Context(), "chat", math.MaxUint64, 10)
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

// TestWriterLogsLostTotals: while writes fail, the running total of lost
// messages is logged every warnEvery, not only the first batch's; once
// writes work again, the total is logged with it.
func TestWriterLogsLostTotals(t *testing.T) {
	var full atomic.Bool
	full.Store(true)
	s, logs := openHooked(t, Options{warnEvery: 20 * time.Millisecond, beforeWrite: func([]chat.Message) error {
		if full.Load() {
			return errors.New("database or disk is full (13)")
		}
		return nil
	}})
	now := time.Now()
	for i := range 300 {
		s.AppendMessage(chat.Message{Room: "chat", From: "alice", Text: "lost", Time: now})
		if i%100 == 0 {
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, `level=ERROR msg="messages not stored" lost=300 `)
	if first := `level=ERROR msg="messages not stored" lost=1 batches_failed=1 err="database or disk is full (13)"`; !strings.Contains(logs.String(), first) {
		t.Errorf("log:\n%s\nwant the first loss at once: %s", logs, first)
	}
	full.Store(false)
	s.AppendMessage(chat.Message{Room: "chat", From: "alice", Text: "kept", Time: now})
	waitLog(t, logs, `level=WARN msg="messages stored again" lost=300 `)
}

// waitLog waits until the log holds want, failing the test after 15 s.
func waitLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log:\n%s\nwant a line with %s", logs, want)
		}
	}
}

// TestDeleteRoomsForgets: the writer's count of messages since a room's
// last prune goes with the room, so removed rooms leave no key behind.
func TestDeleteRoomsForgets(t *testing.T) {
	s, _ := openHooked(t, Options{})
	ctx := t.Context()
	for _, room := range []string{"Zeta", "alpha"} {
		if err := s.CreateRoom(ctx, chat.RoomRecord{Name: room, Creator: "alice"}); err != nil {
			t.Fatal(err)
		}
		s.AppendMessage(chat.Message{Room: room, From: "alice", Text: "hi", Seq: 1})
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRooms(ctx, []string{"ZETA"}); err != nil {
		t.Fatal(err)
	}
	s.sinceMu.Lock()
	defer s.sinceMu.Unlock()
	if _, ok := s.since[chat.Fold("zeta")]; ok || s.since[chat.Fold("alpha")] != 1 {
		t.Errorf("since = %v, want alpha's count alone", s.since)
	}
}
