package chat_test

import (
	"context"
	"slices"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat/chattest"
)

// BenchmarkSay measures one message said to a room of two, the listener's
// outbox drained now and then: the per-message cost of Session.say, which
// every check on the hot path (away, muted) adds to.
func BenchmarkSay(b *testing.B) {
	h := newHub(b, nil)
	ctx := context.Background()
	sender, listener := login(b, h, "sender"), login(b, h, "listener")
	text := "a message of a typical length, said to a small room"
	n := 0
	for b.Loop() {
		sender.Input(ctx, text)
		if n++; n%256 == 0 {
			listener.Outbox().Drain(nil)
		}
	}
}

// BenchmarkSayRoomWithMute is BenchmarkSay in a room where someone else
// is muted: what the check costs a user who is not, when it has to look.
func BenchmarkSayRoomWithMute(b *testing.B) {
	h := newHub(b, nil, helperbot.New())
	ctx := context.Background()
	admin, sender := login(b, h, "admin"), login(b, h, "sender")
	admin.Input(ctx, "/switch den")
	sender.Input(ctx, "/switch den")
	admin.Input(ctx, "/mute troll")
	if got := chattest.Lines(admin); !slices.Contains(got, "<helperbot> troll is muted in 'den'.\n") {
		b.Fatalf("/mute troll got %q", got)
	}
	text := "a message of a typical length, said to a small room"
	n := 0
	for b.Loop() {
		sender.Input(ctx, text)
		if n++; n%256 == 0 {
			admin.Outbox().Drain(nil)
		}
	}
}
