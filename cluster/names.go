package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// NamesBucket is the KV bucket of the names online: a key per name held
// by some node (Key of its folded form), its value the holder.
const NamesBucket = "chat_online"

// Names holds names online cluster-wide: a name is held by at most one
// node at a time, whatever the races (KV Create, which fails on a key
// that exists). Within the node, holds of one name are counted: a login
// that replaces an older session of its name on the same node (a ghost)
// holds it before the older one lets go, and the name stays the node's
// throughout. Safe for concurrent use.
type Names struct {
	kv   jetstream.KeyValue
	node string

	mu   sync.Mutex
	keys map[string]*hold // by Key; an entry lives while someone holds or waits for it
}

// hold is this node's hold of one name.
type hold struct {
	users int // guarded by Names.mu: callers holding or waiting for the entry

	mu   sync.Mutex // held across the Create and the Delete of the key
	held int        // guarded by mu: holds given out and not released
	rev  uint64     // guarded by mu: the revision the node's Create made
}

// NamesConfig says how the names bucket is made.
type NamesConfig struct {
	Node     string // this node's name, kept in the value of each name it holds
	Replicas int    // copies of the bucket: 3 in a 3-server cluster (R3); 0 means 3
}

// OpenNames creates the names bucket, or opens it as another node made it.
func OpenNames(ctx context.Context, js jetstream.JetStream, cfg NamesConfig) (*Names, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   NamesBucket,
		Replicas: cfg.Replicas,
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", NamesBucket, err)
	}
	return &Names{kv: kv, node: cfg.Node, keys: make(map[string]*hold)}, nil
}

// HoldName holds the name whose folded form is key (chat.Fold) for this
// node (it implements chat.Cluster). It fails with an error wrapping
// chat.ErrNameTaken if another node holds it. A name this node holds
// already is held once more, with no I/O. release lets go of this hold,
// once however often it is called; the last hold's release deletes the
// key, only while it is still the node's (a revision-checked delete), so
// it never frees the name of a newer holder. A Create retried after its
// first try was stored and the answer lost is recognised by the node's
// own value and counts as held.
func (n *Names) HoldName(ctx context.Context, key string) (release func(context.Context) error, err error) {
	k := Key(key)
	h := n.enter(k)
	h.mu.Lock()
	if h.held == 0 {
		rev, err := n.create(ctx, k)
		if err != nil {
			h.mu.Unlock()
			n.leave(k, h)
			return nil, fmt.Errorf("hold name %s: %w", key, err)
		}
		h.rev = rev
	}
	h.held++
	h.mu.Unlock()
	var once sync.Once
	return func(ctx context.Context) (err error) {
		once.Do(func() { err = n.release(ctx, k, h) })
		return err
	}, nil
}

// create makes the key with a value of this node's, and returns its
// revision; chat.ErrNameTaken if another holder has it.
func (n *Names) create(ctx context.Context, k string) (uint64, error) {
	val := n.node + " " + nuid.Next()
	rev, err := n.kv.Create(ctx, k, []byte(val))
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	e, gerr := n.kv.Get(ctx, k)
	switch {
	case gerr == nil && string(e.Value()) == val:
		return e.Revision(), nil
	case gerr != nil && !errors.Is(gerr, jetstream.ErrKeyNotFound):
		return 0, gerr
	}
	return 0, chat.ErrNameTaken
}

// release lets go of one hold of h; the last deletes the key.
func (n *Names) release(ctx context.Context, k string, h *hold) error {
	defer n.leave(k, h)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held--
	if h.held > 0 {
		return nil
	}
	err := n.kv.Delete(ctx, k, jetstream.LastRevision(h.rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) { // a wrong last revision: no longer the node's
		return fmt.Errorf("release name %s: %w", k, err)
	}
	return nil
}

// enter returns the entry of k, made if need be, counting the caller in.
func (n *Names) enter(k string) *hold {
	n.mu.Lock()
	defer n.mu.Unlock()
	h := n.keys[k]
	if h == nil {
		h = &hold{}
		n.keys[k] = h
	}
	h.users++
	return h
}

// leave counts the caller out of the entry of k, dropped with the last.
func (n *Names) leave(k string, h *hold) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if h.users--; h.users == 0 {
		delete(n.keys, k)
	}
}
