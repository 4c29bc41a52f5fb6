package cluster

import (
	"context"
	"errors"
	"fmt"
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
	lines     *Lines
	commands  *Commands
	nodes     *Nodes       // this node's entry in the registry of the nodes alive (slice 6)
	log       *slog.Logger // where a panic of the hub on a message from NATS is logged (recovered)
	*Identity              // slice 5b: bindings, passwords, server bans, offline delivery
}

// NodeConfig says how a node joins.
type NodeConfig struct {
	Node     string        // this node's name, unique in the cluster
	Replicas int           // copies of each bucket: 3 (R3) if 0
	NameTTL  time.Duration // how long a name, and the node's entry in chat_nodes, outlives its node's last heartbeat (NamesConfig.TTL; DefaultNodeTTL for the entry if 0)
	History  int           // lines kept per room (LinesConfig.History)
	Logger   *slog.Logger  // nil: discard
}

// OpenNode creates or opens the buckets the nodes share, and registers
// the node as alive (Nodes.Register: an error wrapping ErrNodeNameTaken
// while another node of its name is).
func OpenNode(ctx context.Context, js jetstream.JetStream, cfg NodeConfig) (*Node, error) {
	nodes, err := OpenNodes(ctx, js, NodesConfig{Node: cfg.Node, Replicas: cfg.Replicas, TTL: cfg.NameTTL, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
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
	lines, err := OpenLines(ctx, js, LinesConfig{Node: cfg.Node, Replicas: cfg.Replicas, History: cfg.History, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if err := nodes.Register(ctx); err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.Node, err)
	}
	return &Node{names: names, rooms: rooms, lines: lines, nodes: nodes, commands: NewCommands(js.Conn(), names, cfg.Node, cfg.Logger), Identity: identity, log: orDiscard(cfg.Logger)}, nil
}

// HoldName is Names.HoldName.
func (n *Node) HoldName(ctx context.Context, key string) (func(context.Context) error, error) {
	return n.names.HoldName(ctx, key)
}

// CreateRoom is Rooms.CreateRoom.
func (n *Node) CreateRoom(ctx context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	return n.rooms.CreateRoom(ctx, r)
}

// Remote is Commands.Remote.
func (n *Node) Remote(ctx context.Context, req chat.RemoteRequest) (chat.RemoteReply, error) {
	return n.commands.Remote(ctx, req)
}

// Publish is Lines.Publish.
func (n *Node) Publish(ctx context.Context, l chat.Line) (uint64, error) {
	return n.lines.Publish(ctx, l)
}

// Run keeps hub in step with the cluster until ctx is done: it refreshes
// the node's names (Names.Run; a name lost to another node logs its
// session out, Hub.NameLost), adds the rooms other nodes create
// (Rooms.Run, Hub.RemoteRoom), keeps bindings, passwords and server bans
// in step (Identity.Watch), answers the commands other nodes send on a
// user of this node (Commands.Run, Hub.Remote), takes a dead node's users
// out of their rooms (Lines.RunGone), checks the node's roster against
// the stream after a reconnect (Lines.RunRecheck, Hub.DropShared) and,
// once the rooms there were before are in, gives the hub the rooms' lines
// (Lines.Run, Hub.Deliver) and, once those there were are in, takes out
// of their rooms the members whose sessions are gone though no node said
// so (Lines.Sweep of Hub.Departed: this node's from before it restarted,
// those of nodes no longer alive); ready, if not nil, is called once the
// rooms, the identity and the lines there were before are the hub's, and
// that sweep is done. It returns once all have stopped, with the error
// that stopped any early (which stops the others).
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
	// A panic in the hub's handling of what NATS delivered skips that one
	// message, logged (recovered), rather than end the node.
	gone, left := guardGone(n.log, hub.Gone, hub.LeftElsewhere)
	run(func() error { return n.names.Run(ctx, guardLost(n.log, hub.NameLost)) })
	run(func() error { return n.lines.RunGone(ctx, n.names.kv, gone, left) })
	ready = readyAfter(3, ready) // the rooms', the identity's and the lines'
	roomsIn, linesIn := make(chan struct{}), make(chan struct{})
	run(func() error {
		return n.rooms.Run(ctx, hub, func() {
			close(roomsIn)
			if ready != nil {
				ready()
			}
		})
	})
	run(func() error {
		select { // a line to a room the hub does not know yet would be lost
		case <-roomsIn:
		case <-ctx.Done():
			return nil
		}
		return n.lines.Run(ctx, guardDeliver(n.log, hub.Deliver), func() { close(linesIn) })
	})
	run(func() error { // the members the roster read names but whose sessions are gone
		select {
		case <-linesIn:
		case <-ctx.Done():
			return nil
		}
		n.lines.Sweep(ctx, hub.Departed(n.lines.node, n.alive(ctx)), hub.LeftElsewhere)
		if ready != nil {
			ready()
		}
		return nil
	})
	run(func() error { return n.lines.RunRecheck(ctx, hub.SharedMembers, hub.DropShared) })
	run(func() error { return n.Watch(ctx, hub, ready) })
	run(func() error { return n.commands.Run(ctx, hub) })
	run(func() error { return n.nodes.Run(ctx) })
	wg.Wait()
	return errors.Join(errs...)
}

// alive returns what tells whether a member of a room on another node,
// given the node and the member's folded name, may still be there (for
// chat.Hub.Departed): yes while the node is in the registry of the nodes
// alive (asked once per node) or holds the name, so that a member is
// taken out only if both say the node is gone, as a refresh late under
// load may lapse one for a moment. A read that fails says yes.
func (n *Node) alive(ctx context.Context) func(node, folded string) bool {
	registered := make(map[string]bool)
	return func(node, folded string) bool {
		up, ok := registered[node]
		if !ok {
			up = n.nodes.Alive(ctx, node)
			registered[node] = up
		}
		return up || n.names.HeldBy(ctx, folded, node)
	}
}

// Reconnected renews at once what the node keeps alive by refreshing (its
// names' TTLs, its entry among the nodes), after its connection to NATS
// was lost and is back: the TTLs ran on meanwhile; and has the node's
// roster checked against the stream (Lines.RunRecheck). It does not block.
func (n *Node) Reconnected() {
	n.names.RefreshNow()
	n.nodes.RefreshNow()
	n.lines.RecheckNow()
}

// Leave takes the node out of the registry of the nodes alive, so that
// its name is free at once (Nodes.Leave); for a node stopping, after Run.
func (n *Node) Leave(ctx context.Context) error { return n.nodes.Leave(ctx) }

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
