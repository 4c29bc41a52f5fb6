package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// NodesBucket is the KV bucket of the nodes alive: a key per node name
// (Key of it), its value the node's name, start time and a nuid.
const NodesBucket = "chat_nodes"

// DefaultNodeTTL is NodesConfig.TTL when it is 0.
const DefaultNodeTTL = 15 * time.Second

// ErrNodeNameTaken is Register's error while another node of the same
// name is alive: two nodes of one name would answer each other's
// commands and hold each other's names.
var ErrNodeNameTaken = errors.New("another node of this name is alive")

// Nodes is this node's entry in the registry of the nodes alive: a key
// created when the node starts (Create, so a second node of the same name
// is refused), refreshed by Run within its TTL and deleted when the node
// stops (Leave); a node that dies stops refreshing and its name is free
// again within the TTL. Safe for concurrent use.
type Nodes struct {
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	key  string
	val  []byte
	ttl  time.Duration
	log  *slog.Logger
	wake wake // RefreshNow's wake-up of Run

	mu  sync.Mutex
	rev uint64 // guarded by mu: the key's revision the node wrote last; 0 when not registered
}

// NodesConfig says how the node registers.
type NodesConfig struct {
	Node     string        // this node's name
	Replicas int           // copies of the bucket: 3 (R3) if 0
	TTL      time.Duration // how long the entry outlives the node's last refresh; DefaultNodeTTL if 0, at least a second
	Logger   *slog.Logger  // nil: discard
}

// OpenNodes creates the nodes' bucket, or opens it as another node made
// it. The node is not registered yet: Register does it.
func OpenNodes(ctx context.Context, js jetstream.JetStream, cfg NodesConfig) (*Nodes, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultNodeTTL
	}
	cfg.TTL = max(cfg.TTL, time.Second)
	kv, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:         NodesBucket,
		Replicas:       cfg.Replicas,
		LimitMarkerTTL: cfg.TTL, // lets keys have a TTL of their own
	})
	if err != nil {
		return nil, err
	}
	val := fmt.Sprintf("%s %s %s", cfg.Node, time.Now().UTC().Format(time.RFC3339), nuid.Next())
	return &Nodes{js: js, kv: kv, key: Key(cfg.Node), val: []byte(val), ttl: cfg.TTL,
		log: orDiscard(cfg.Logger), wake: newWake()}, nil
}

// Register records the node as alive. While the name is another node's,
// it waits for that entry to expire (a node killed a moment ago and
// started again), at most one and a half TTLs, and then fails with an
// error wrapping ErrNodeNameTaken: the other node is alive, refreshing it.
func (n *Nodes) Register(ctx context.Context) error {
	deadline := time.Now().Add(n.ttl + n.ttl/2)
	waited := false
	for {
		rev, err := n.create(ctx)
		if err == nil {
			n.mu.Lock()
			n.rev = rev
			n.mu.Unlock()
			return nil
		}
		if !errors.Is(err, ErrNodeNameTaken) {
			return fmt.Errorf("register node: %w", err)
		}
		if time.Now().After(deadline) {
			return err
		}
		if !waited {
			n.log.Info("node name held, waiting for it to expire", "key", n.key, "ttl", n.ttl)
			waited = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register node: %w", ctx.Err())
		case <-time.After(n.ttl / 4):
		}
	}
}

// create makes the node's key with its TTL and returns its revision;
// ErrNodeNameTaken if another node has it.
func (n *Nodes) create(ctx context.Context) (uint64, error) {
	rev, err := createOwn(ctx, n.kv, n.key, n.val, jetstream.KeyTTL(n.ttl))
	if errors.Is(err, errTaken) {
		return 0, ErrNodeNameTaken
	}
	return rev, err
}

// errTaken is createOwn's error for a key another writer has.
var errTaken = errors.New("key held by another")

// createOwn creates key with val, and returns its revision; errTaken if
// the key exists with another value. A Create retried after its first try
// was stored and the answer lost finds its own value, and counts as made.
func createOwn(ctx context.Context, kv jetstream.KeyValue, key string, val []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	rev, err := kv.Create(ctx, key, val, opts...)
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	e, gerr := kv.Get(ctx, key)
	switch {
	case gerr == nil && string(e.Value()) == string(val):
		return e.Revision(), nil
	case gerr != nil && !errors.Is(gerr, jetstream.ErrKeyNotFound):
		return 0, gerr
	}
	return 0, errTaken
}

// Run refreshes the node's entry every TTL/4, and at once after
// RefreshNow, until ctx is done. A refresh is a publish with the TTL and
// the revision the node wrote last (kv.Update would drop the TTL); if the
// entry expired meanwhile (the node cut off longer than the TTL) it is
// created again, and if another node of the name took it, that is logged
// as an error at every try: two nodes share one name.
func (n *Nodes) Run(ctx context.Context) error {
	n.wake.every(ctx, n.ttl/4, func() {
		if err := n.refresh(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("refresh node", "key", n.key, "err", err)
		}
	})
	return nil
}

// RefreshNow has Run refresh the entry at once (after a reconnect). It
// does not block.
func (n *Nodes) RefreshNow() { n.wake.now() }

// refresh renews the entry's TTL, or creates it again if it expired.
func (n *Nodes) refresh(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rev == 0 {
		return nil // left
	}
	actx, cancel := context.WithTimeout(ctx, n.ttl/4)
	defer cancel()
	ack, err := n.js.Publish(actx, "$KV."+NodesBucket+"."+n.key, n.val,
		jetstream.WithMsgTTL(n.ttl), jetstream.WithExpectLastSequencePerSubject(n.rev))
	if err == nil {
		n.rev = ack.Sequence
		return nil
	}
	if !wrongLastSequence(err) {
		return err
	}
	rev, err := n.create(actx)
	if err != nil {
		return fmt.Errorf("register again after the entry expired: %w", err)
	}
	n.rev = rev
	return nil
}

// Leave deletes the node's entry, if it is still the node's (a
// revision-checked delete), so that its name is free at once; Run
// refreshes it no more. Calling it again does nothing.
func (n *Nodes) Leave(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rev == 0 {
		return nil
	}
	err := n.kv.Delete(ctx, n.key, jetstream.LastRevision(n.rev))
	n.rev = 0
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("leave the nodes' registry: %w", err)
	}
	return nil
}

// Alive reports whether the node called node is in the registry of the
// nodes alive. A registry that does not answer counts it alive: a member
// is taken out of a room only on the registry's word (Node.Run's sweep).
func (n *Nodes) Alive(ctx context.Context, node string) bool {
	_, err := n.kv.Get(ctx, Key(node))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		n.log.Warn("nodes' registry not read", "node", node, "err", err)
	}
	return !errors.Is(err, jetstream.ErrKeyNotFound)
}
