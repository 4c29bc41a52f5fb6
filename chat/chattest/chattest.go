// Package chattest builds chat engines for tests: a hub on an in-memory
// store, logged-in sessions, and the lines they were sent.
package chattest

import (
	"strconv"
	"strings"
	"testing"

	"chatserver/chat"
	"chatserver/chat/store"
)

// NewHub returns a hub built from cfg, on an in-memory store if cfg has none.
func NewHub(tb testing.TB, cfg chat.Config) *chat.Hub {
	tb.Helper()
	if cfg.Store == nil {
		cfg.Store = store.NewMemory(0)
	}
	h, err := chat.New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("chat.New: %v", err)
	}
	return h
}

// Login logs name in on h with an outbox of its own, as a line door would.
func Login(tb testing.TB, h *chat.Hub, name string) *chat.Session {
	tb.Helper()
	s, err := h.Login(tb.Context(), name, chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0)})
	if err != nil {
		tb.Fatalf("Login(%q): %v", name, err)
	}
	return s
}

// Lines drains what s was sent and returns each event as the line door
// writes it, "\n" included (a bot's block is one string of several lines).
func Lines(s *chat.Session) []string {
	evs, _, _ := s.Outbox().Drain(nil)
	var out []string
	for _, e := range evs {
		if l := e.Line(); l != nil {
			out = append(out, string(l))
		}
	}
	return out
}

// Dropped reports how many lines a slow-reader notice (chat.DroppedText,
// as the line door sends it) says were dropped, and whether line is one.
func Dropped(line string) (n int, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "<"+chat.SystemName+"> ")
	if !ok {
		return 0, false
	}
	count, tail, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(count)
	if err != nil || chat.DroppedText(n) != rest || tail == "" {
		return 0, false
	}
	return n, true
}
