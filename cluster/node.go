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
	names *Names
	rooms *Rooms
	lines *Lines
}

// NodeConfig says how a node joins.
type NodeConfig struct {
	Node     string        // this node's name, unique in the cluster
	Replicas int           // copies of each bucket: 3 (R3) if 0
	NameTTL  time.Duration // how long a name outlives its node's last heartbeat (NamesConfig.TTL)
	History  int           // lines kept per room (LinesConfig.History)
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
	lines, err := OpenLines(ctx, js, LinesConfig{Node: cfg.Node, Replicas: cfg.Replicas, History: cfg.History, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &Node{names: names, rooms: rooms, lines: lines}, nil
}

// HoldName is Names.HoldName.
func (n *Node) HoldName(ctx context.Context, key string) (func(context.Context) error, error) {
	return n.names.HoldName(ctx, key)
}

// CreateRoom is Rooms.CreateRoom.
func (n *Node) CreateRoom(ctx context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	return n.rooms.CreateRoom(ctx, r)
}

// Publish is Lines.Publish.
func (n *Node) Publish(ctx context.Context, l chat.Line) (uint64, error) {
	return n.lines.Publish(ctx, l)
}

// Run keeps hub in step with the cluster until ctx is done: it refreshes
// the node's names (Names.Run; a name lost to another node logs its
// session out, Hub.NameLost) and adds the rooms other nodes create
// (Rooms.Run, Hub.RemoteRoom) and, once those there were before are in,
// gives it the rooms' lines (Lines.Run, Hub.Deliver); ready, if not nil,
// is called once the rooms and the lines there were before are the hub's. It returns once both have stopped,
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
	run(func() error { return n.lines.RunGone(ctx, n.names.kv, hub.Gone, hub.LeftElsewhere) })
	roomsIn := make(chan struct{})
	run(func() error { return n.rooms.Run(ctx, hub.RemoteRoom, func() { close(roomsIn) }) })
	run(func() error {
		select { // a line to a room the hub does not know yet would be lost
		case <-roomsIn:
		case <-ctx.Done():
			return nil
		}
		return n.lines.Run(ctx, hub.Deliver, func() {
			if ready != nil {
				ready()
			}
		})
	})
	wg.Wait()
	return errors.Join(errs...)
}
