package chat_test

import (
	"sync"
	"testing"
	"time"

	"chatserver/chat"
)

func TestEventLine(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 9, 7, 59, 0, time.UTC)
	tests := []struct {
		name string
		ev   *chat.Event
		want string
	}{
		{"chat", &chat.Event{Kind: chat.KindChat, From: "alice", Text: "hi  there"}, "<alice> hi  there\n"},
		{"system", &chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: "Switched to room 'x'"}, "<system> Switched to room 'x'\n"},
		{"bot block", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Currently active rooms:\n1. chat\n2. den"}, "<helperbot> Currently active rooms:\n<helperbot> 1. chat\n<helperbot> 2. den\n"},
		{"system with empty text", &chat.Event{Kind: chat.KindSystem, Text: ""}, "<system> \n"},
		{"bot", &chat.Event{Kind: chat.KindBot, From: "helperbot", Text: "Current online users:"}, "<helperbot> Current online users:\n"},
		{"whisper", &chat.Event{Kind: chat.KindWhisper, From: "alice", Bot: "helperbot", Text: "psst  you"}, "<helperbot> alice whispered to you: psst  you\n"},
		{"history", &chat.Event{Kind: chat.KindHistory, From: "bob", Text: "earlier", Time: at}, "<system> [09:07] <bob> earlier\n"},
		{"action", &chat.Event{Kind: chat.KindChat, From: "alice", Text: "waves  twice", Action: true}, "* alice waves  twice\n"},
		{"action in history", &chat.Event{Kind: chat.KindHistory, From: "bob", Text: "left early", Time: at, Action: true}, "<system> [09:07] * bob left early\n"},
		{"unicode", &chat.Event{Kind: chat.KindChat, From: "Jürgen", Text: "Grüße 🙂"}, "<Jürgen> Grüße 🙂\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// What an outbox counts for it, reckoned before it is rendered.
			if got := chat.EventSize(tc.ev); got != len(tc.want) {
				t.Errorf("its size in an outbox = %d, want %d", got, len(tc.want))
			}
			if got := string(tc.ev.Line()); got != tc.want {
				t.Errorf("Line() = %q, want %q", got, tc.want)
			}
			if got := string(tc.ev.Line()); got != tc.want {
				t.Errorf("second Line() = %q, want %q", got, tc.want)
			}
		})
	}
	roster := &chat.Event{Kind: chat.KindRoster}
	if l, size := roster.Line(), chat.EventSize(roster); l != nil || size != 0 {
		t.Errorf("roster event Line() = %q, size %d; want nil, 0", l, size)
	}
}

// One event is shared by every recipient's writer: rendering it from many
// goroutines at once gives every one of them the same line (and no race).
func TestEventLineShared(t *testing.T) {
	t.Parallel()
	e := &chat.Event{Kind: chat.KindChat, From: "alice", Text: "to everyone"}
	var wg sync.WaitGroup
	lines := make([]string, 16)
	for i := range lines {
		wg.Go(func() { lines[i] = string(e.Line()) })
	}
	wg.Wait()
	for i, l := range lines {
		if l != "<alice> to everyone\n" {
			t.Errorf("goroutine %d rendered %q", i, l)
		}
	}
}
