package clustertest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterSurvivesServerLoss creates an R3 bucket and an R3 stream,
// shuts down the server that leads the stream, and checks that a KV Create
// and a publish still succeed on the two left, exactly once.
func TestClusterSurvivesServerLoss(t *testing.T) {
	c := clustertest.Start(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	ctx := t.Context()

	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "names", Replicas: 3})
	if err != nil {
		t.Fatalf("CreateKeyValue R3: %v", err)
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ROOMS", Subjects: []string{"room.*.msg"},
		Storage: jetstream.FileStorage, Replicas: 3, Duplicates: time.Minute})
	if err != nil {
		t.Fatalf("CreateStream R3: %v", err)
	}
	if _, err := kv.Create(ctx, "anna", []byte("n1")); err != nil {
		t.Fatalf("Create anna: %v", err)
	}
	if _, err := js.Publish(ctx, "room.lobby.msg", []byte("one"), jetstream.WithMsgID("one")); err != nil {
		t.Fatalf("publish one: %v", err)
	}

	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	leader := -1
	for i := range 3 {
		if info.Cluster != nil && c.Server(i).Name() == info.Cluster.Leader {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("stream leader %+v is none of the servers", info.Cluster)
	}
	c.Shutdown(leader)

	// A retry after a lost answer may find the key already made by the
	// attempt before: that is a success if it holds this node's value.
	err = clustertest.Eventually(ctx, 20*time.Second, func(ctx context.Context) error {
		_, err := kv.Create(ctx, "bert", []byte("n2"))
		if errors.Is(err, jetstream.ErrKeyExists) {
			e, gerr := kv.Get(ctx, "bert")
			if gerr == nil && string(e.Value()) == "n2" {
				return nil
			}
		}
		return err
	})
	if err != nil {
		t.Fatalf("Create bert after losing %s: %v", c.Server(leader).Name(), err)
	}
	err = clustertest.Eventually(ctx, 20*time.Second, func(ctx context.Context) error {
		_, err := js.Publish(ctx, "room.lobby.msg", []byte("two"), jetstream.WithMsgID("two"))
		return err
	})
	if err != nil {
		t.Fatalf("publish two after losing %s: %v", c.Server(leader).Name(), err)
	}

	if _, err := kv.Create(ctx, "anna", []byte("n3")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Errorf("Create anna again = %v, want ErrKeyExists", err)
	}
	err = clustertest.Eventually(ctx, 10*time.Second, func(ctx context.Context) error {
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 2 {
			t.Fatalf("stream holds %d messages, want 2 (one, two: exactly once)", info.State.Msgs)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("stream info after the loss: %v", err)
	}
}

// TestRestart stops the one server of a cluster and starts it again: a
// client connected before reconnects by itself to the same URL, and the
// stream it wrote before is there with its message.
func TestRestart(t *testing.T) {
	c := clustertest.Start(t, 1)
	url := c.URL()
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ROOMS", Subjects: []string{"room.>"},
		Storage: jetstream.FileStorage}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	if _, err := js.Publish(ctx, "room.lobby.msg", []byte("one")); err != nil {
		t.Fatalf("publish one: %v", err)
	}
	c.Shutdown(0)
	if got := c.URLs(); len(got) != 0 {
		t.Fatalf("URLs with the server down = %q, want none", got)
	}
	c.Restart(0)
	if c.URL() != url {
		t.Fatalf("URL after Restart = %q, want %q as before", c.URL(), url)
	}
	err = clustertest.Eventually(ctx, 20*time.Second, func(ctx context.Context) error {
		st, err := js.Stream(ctx, "ROOMS")
		if err != nil {
			return err
		}
		m, err := st.GetLastMsgForSubject(ctx, "room.lobby.msg")
		if err != nil {
			return err
		}
		if string(m.Data) != "one" {
			t.Fatalf("last message after the restart = %q, want \"one\"", m.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the stream through the client connected before the restart: %v", err)
	}
}
