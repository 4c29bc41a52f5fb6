package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
)

// Node is one chatserver node's part of the cluster: what its hub asks
// (it implements chat.Cluster) and what it learns from the other nodes
// (Run). Safe for concurrent use.
type Node struct {
	names     *Names
	rooms     *Rooms
	*Identity // slice 5b: bindings, passwords, server bans, offline delivery
}

// NodeConfig says how a node joins.
type NodeConfig struct {
	Node     string        // this node's name, unique in the cluster
	Replicas int           // copies of each bucket: 3 (R3) if 0
	NameTTL  time.Duration // how long a name outlives its node's last heartbeat (NamesConfig.TTL)
	Logger   *slog.Logger  // nil: discard
}

// OpenNode creates or opens the buckets the nodes share.
func OpenNode(ctx context.Context, js jetstream.JetStream, cfg NodeConfig) (*Node, error) {
	names, err := OpenNames(ctx, js, NamesConfig{Node: cfg.Node, Replicas: cfg.Replicas, TTL: cfg.NameTTL, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	rooms, err := OpenRooms(ctx, js, RoomsConfig{Replicas: cfg.Replicas, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	identity, err := OpenIdentity(ctx, js, IdentityConfig{Replicas: cfg.Replicas, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &Node{names: names, rooms: rooms, Identity: identity}, nil
}

// HoldName is Names.HoldName.
func (n *Node) HoldName(ctx context.Context, key string) (func(context.Context) error, error) {
	return n.names.HoldName(ctx, key)
}

// CreateRoom is Rooms.CreateRoom.
func (n *Node) CreateRoom(ctx context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	return n.rooms.CreateRoom(ctx, r)
}

// Run keeps hub in step with the cluster until ctx is done: it refreshes
// the node's names (Names.Run; a name lost to another node logs its
// session out, Hub.NameLost) and adds the rooms other nodes create
// (Rooms.Run, Hub.RemoteRoom), and keeps bindings, passwords and server
// bans in step (Identity.Watch); ready, if not nil, is called once the
// rooms and the identity there were before have been added. It returns once both have stopped,
// with the error that stopped either early (which stops the other).
func (n *Node) Run(ctx context.Context, hub *chat.Hub, ready func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		})
	}
	run(func() error { return n.names.Run(ctx, hub.NameLost) })
	ready = readyAfter(2, ready) // the rooms', and the identity's
	run(func() error { return n.rooms.Run(ctx, hub.RemoteRoom, ready) })
	run(func() error { return n.Watch(ctx, hub, ready) })
	wg.Wait()
	return errors.Join(errs...)
}

// readyAfter returns what calls ready (if not nil) at its n-th call: once
// each of n watchers has read what was there before.
func readyAfter(n int, ready func()) func() {
	if ready == nil {
		return nil
	}
	var mu sync.Mutex
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if n--; n == 0 {
			ready()
		}
	}
}
