package chat_test

import (
	"context"
	"testing"
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
