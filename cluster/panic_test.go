package cluster_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// panickyRemote is a hub whose answer to a command on "boom" panics and
// whose answer on anyone else is their name.
type panickyRemote struct{}

func (panickyRemote) Remote(req chat.RemoteRequest) chat.RemoteReply {
	if req.Target == "boom" {
		panic("a bug met a request it did not expect")
	}
	return chat.RemoteReply{Name: req.Target}
}

// TestCommandPanicSkipped: a node command whose handling panics is
// answered at once with an error (not left to time out) and the node, its
// process and its subscription, go on answering the next one: a bug met
// by one request of another node must not take every user of this node
// down with it.
func TestCommandPanicSkipped(t *testing.T) {
	c := clustertest.Start(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	names, err := cluster.OpenNames(t.Context(), js, cluster.NamesConfig{Node: "b"})
	if err != nil {
		t.Fatal(err)
	}
	cmds := cluster.NewCommands(nc, names, "b", nil)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := cmds.Run(ctx, panickyRemote{}); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer wg.Wait()
	defer cancel()
	ask := func(target string) chat.RemoteReply {
		t.Helper()
		data, err := cluster.EncodeCommand(chat.RemoteRequest{Verb: chat.VerbWhois, Target: target})
		if err != nil {
			t.Fatal(err)
		}
		var rep chat.RemoteReply
		if err := clustertest.Eventually(t.Context(), 10*time.Second, func(ctx context.Context) error {
			msg, err := nc.RequestWithContext(ctx, cluster.CommandSubject("b"), data)
			if err != nil {
				return err
			}
			return json.Unmarshal(msg.Data, &rep)
		}); err != nil {
			t.Fatalf("whois %s: %v", target, err)
		}
		return rep
	}
	if rep := ask("boom"); rep.Err == "" {
		t.Errorf("answer to a request whose handling panicked = %+v, want an error", rep)
	}
	if rep := ask("mike"); rep.Err != "" || rep.Name != "mike" {
		t.Errorf("answer to the next request = %+v, want mike's", rep)
	}
}

// panickyRooms is a hubLog whose hub panics on the room "Boom".
type panickyRooms struct{ hubLog }

func (h *panickyRooms) RemoteRoom(r chat.RoomRecord) {
	if r.Name == "Boom" {
		panic("a bug met a room it did not expect")
	}
	h.hubLog.RemoteRoom(r)
}

// TestRoomRecordPanicSkipped: a room's record whose handling by the hub
// panics is skipped, and the rooms' watcher goes on: the rooms made after
// it still reach the node's /rooms.
func TestRoomRecordPanicSkipped(t *testing.T) {
	c := clustertest.Start(t, 3)
	rs := openRoomsOn(t, c, 1)[0]
	hub := &panickyRooms{}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- rs.Run(ctx, hub, nil) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for _, name := range []string{"Boom", "Calm"} {
		if _, err := rs.CreateRoom(t.Context(), chat.RoomRecord{Name: name, Creator: "anna", Created: time.Now()}); err != nil {
			t.Fatalf("CreateRoom %s: %v", name, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(hub.seen(), "room Calm") {
		if time.Now().After(deadline) {
			t.Fatalf("told %q, want the room made after the one that panicked", hub.seen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
