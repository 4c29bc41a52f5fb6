package chat_test

import (
	"context"
	"strconv"
	"testing"

	"chatserver/chat"
)

// protectedHub returns a hub where n names, name0 … name(n-1), are
// protected (owned by an SSH key each) and offline, and a sender and a
// listener in DefaultRoom.
func protectedHub(b *testing.B, n int) (h *chat.Hub, sender, listener *chat.Session) {
	h = newHub(b, nil)
	for i := range n {
		s, err := h.Login(b.Context(), "name"+strconv.Itoa(i), chat.LoginOptions{Door: "test",
			Addr: "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250), KeyID: "SHA256:key" + strconv.Itoa(i),
			Outbox: chat.NewOutbox(0)})
		if err != nil {
			b.Fatalf("Login(name%d): %v", i, err)
		}
		s.Close()
	}
	return h, login(b, h, "sender"), login(b, h, "listener")
}

// sayLoop says text as sender until the benchmark ends, draining the
// listener's outbox now and then.
func sayLoop(b *testing.B, sender, listener *chat.Session, text string) {
	ctx := context.Background()
	n := 0
	for b.Loop() {
		sender.Input(ctx, text)
		if n++; n%256 == 0 {
			listener.Outbox().Drain(nil)
		}
	}
}

// BenchmarkSayProtectedOffline is BenchmarkSay on a hub with 1 000
// protected names offline, none of them mentioned: what looking for
// mentions costs every message.
func BenchmarkSayProtectedOffline(b *testing.B) {
	_, sender, listener := protectedHub(b, 1000)
	sayLoop(b, sender, listener, "a message of a typical length, said to a small room")
}

// BenchmarkSayMentionsOffline is BenchmarkSay where each message mentions
// a protected name that is offline: the message is also kept for it.
func BenchmarkSayMentionsOffline(b *testing.B) {
	_, sender, listener := protectedHub(b, 1000)
	sayLoop(b, sender, listener, "name7: a message of a typical length, said to a small room")
}
