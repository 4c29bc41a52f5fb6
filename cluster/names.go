package cluster

import (
	"context"
	"errors"
	"fmt"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// NamesBucket is the KV bucket of the names online: a key per name held
// by some node (Key of its folded form), its value the holder.
const NamesBucket = "chat_online"

// Names holds names online cluster-wide: a name is held by at most one
// node at a time, whatever the races (KV Create, which fails on a key
// that exists). Safe for concurrent use.
type Names struct {
	kv   jetstream.KeyValue
	node string
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
	return &Names{kv: kv, node: cfg.Node}, nil
}

// HoldName holds the name whose folded form is key (chat.Fold) for this
// node. It fails with an error wrapping chat.ErrNameTaken if another
// holder has it, this node's other holds included: the node's own
// engine lets a name in once. release lets it go; it deletes the key only
// while it is still this hold's (a revision-checked delete), so a late or
// second release never frees the name of a newer holder. A retried Create
// whose first try was stored and its answer lost is recognised by the
// hold's own value and counts as held.
func (n *Names) HoldName(ctx context.Context, key string) (release func(context.Context) error, err error) {
	k := Key(key)
	val := []byte(n.node + " " + nuid.Next())
	rev, err := n.kv.Create(ctx, k, val)
	if errors.Is(err, jetstream.ErrKeyExists) {
		e, gerr := n.kv.Get(ctx, k)
		switch {
		case gerr == nil && string(e.Value()) == string(val):
			rev, err = e.Revision(), nil
		case gerr != nil && !errors.Is(gerr, jetstream.ErrKeyNotFound):
			return nil, fmt.Errorf("hold name %s: %w", key, gerr)
		default:
			return nil, fmt.Errorf("hold name %s: %w", key, chat.ErrNameTaken)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("hold name %s: %w", key, err)
	}
	return func(ctx context.Context) error {
		err := n.kv.Delete(ctx, k, jetstream.LastRevision(rev))
		if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) { // a wrong last revision: no longer this hold's
			return fmt.Errorf("release name %s: %w", key, err)
		}
		return nil
	}, nil
}
