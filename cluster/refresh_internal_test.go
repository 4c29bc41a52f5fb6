package cluster

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// barrierJS is a JetStream whose Publish waits until want publishes are
// in flight at once (or its context is done), then lets them all go.
type barrierJS struct {
	jetstream.JetStream
	want int

	mu       sync.Mutex
	inFlight int
	open     chan struct{} // closed once want were in flight together
}

func (b *barrierJS) Publish(ctx context.Context, subj string, data []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	b.mu.Lock()
	b.inFlight++
	if b.inFlight >= b.want {
		select {
		case <-b.open:
		default:
			close(b.open)
		}
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-ctx.Done():
	}
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	return b.JetStream.Publish(ctx, subj, data, opts...)
}

// TestRefreshesAtOnce: a round of Names.Run refreshes many names at once,
// not one after another: at about 1 ms an ack, a node of 10 000 users
// took the default TTL of 10 s for one round, so its names ran out and
// the other nodes showed its users leaving. The publishes here wait until
// 8 are in flight together, which one at a time never are.
func TestRefreshesAtOnce(t *testing.T) {
	c := clustertest.Start(t, 3)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := OpenNames(t.Context(), js, NamesConfig{Node: "a", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		if _, err := n.HoldName(t.Context(), "u"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	b := &barrierJS{JetStream: js, want: 8, open: make(chan struct{})}
	n.js = b
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, nil) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	n.RefreshNow()
	select {
	case <-b.open:
	case <-time.After(20 * time.Second): // a refresh waits TTL/4 at most: 15 s
		t.Fatal("no 8 refreshes were in flight at once: a round refreshes one name after another")
	}
}
