package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

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
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	node string
	ttl  time.Duration
	log  *slog.Logger

	mu   sync.Mutex
	keys map[string]*hold // by Key; an entry lives while someone holds or waits for it

	wake wake // RefreshNow's wake-up of Run
}

// hold is this node's hold of one name.
type hold struct {
	users int // guarded by Names.mu: callers holding or waiting for the entry

	name string // the folded name (chat.Fold) whose key this is

	mu   sync.Mutex // held across the Create and the Delete of the key
	held int        // guarded by mu: holds given out and not released
	rev  uint64     // guarded by mu: the key's revision the node wrote last
	val  []byte     // guarded by mu: the value it wrote
	lost bool       // guarded by mu: another node took the name after it expired
}

// NamesConfig says how the names bucket is made.
type NamesConfig struct {
	Node     string // this node's name, kept in the value of each name it holds
	Replicas int    // copies of the bucket: 3 in a 3-server cluster (R3); 0 means 3
	// TTL, if not 0, is how long a name outlives its node's last
	// heartbeat (Run refreshes each name held every TTL/4), so that the
	// names of a node killed with -9 come free; at least a second.
	TTL    time.Duration
	Logger *slog.Logger // nil: discard
}

// OpenNames creates the names bucket, or opens it as another node made it.
func OpenNames(ctx context.Context, js jetstream.JetStream, cfg NamesConfig) (*Names, error) {
	kv, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:         NamesBucket,
		Replicas:       cfg.Replicas,
		LimitMarkerTTL: cfg.TTL, // lets keys have a TTL of their own
	})
	if err != nil {
		return nil, err
	}
	return &Names{js: js, kv: kv, node: cfg.Node, ttl: cfg.TTL, log: orDiscard(cfg.Logger), keys: make(map[string]*hold), wake: newWake()}, nil
}

// HoldName holds the name whose folded form is key (chat.Fold) for this
// node (chat.Cluster's HoldName, for a Node). It fails with an error wrapping
// chat.ErrNameTaken if another node holds it. A name this node holds
// already is held once more, with no I/O. release lets go of this hold,
// once however often it is called; the last hold's release deletes the
// key, only while it is still the node's (a revision-checked delete), so
// it never frees the name of a newer holder. A Create retried after its
// first try was stored and the answer lost is recognised by the node's
// own value and counts as held.
func (n *Names) HoldName(ctx context.Context, key string) (release func(context.Context) error, err error) {
	k := Key(key)
	h := n.enter(k, key)
	h.mu.Lock()
	if h.lost { // until every session of it on the node is gone
		h.mu.Unlock()
		n.leave(k, h)
		return nil, fmt.Errorf("hold name %s: %w", key, chat.ErrNameTaken)
	}
	if h.held == 0 {
		val := []byte(n.node + " " + nuid.Next())
		rev, err := n.create(ctx, k, val)
		if err != nil {
			h.mu.Unlock()
			n.leave(k, h)
			return nil, fmt.Errorf("hold name %s: %w", key, err)
		}
		h.rev, h.val = rev, val
	}
	h.held++
	h.mu.Unlock()
	var once sync.Once
	return func(ctx context.Context) (err error) {
		once.Do(func() { err = n.release(ctx, k, h) })
		return err
	}, nil
}

// HeldBy reports whether the name whose folded form is folded is held
// online by the node called node (the value of its key names the node).
// A read that fails says yes (Node.alive).
func (n *Names) HeldBy(ctx context.Context, folded, node string) bool {
	e, err := n.kv.Get(ctx, Key(folded))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false
	case err != nil:
		n.log.Warn("names online not read", "key", Key(folded), "err", err)
		return true
	}
	return strings.HasPrefix(string(e.Value()), node+" ")
}

// create makes the key with a value of this node's, and returns its
// revision; chat.ErrNameTaken if another holder has it.
func (n *Names) create(ctx context.Context, k string, val []byte) (uint64, error) {
	var opts []jetstream.KVCreateOpt
	if n.ttl > 0 {
		opts = append(opts, jetstream.KeyTTL(n.ttl))
	}
	rev, err := createOwn(ctx, n.kv, k, val, opts...)
	if errors.Is(err, errTaken) {
		return 0, chat.ErrNameTaken
	}
	return rev, err
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

// enter returns the entry of k, the key of the folded name, made if need
// be, counting the caller in.
func (n *Names) enter(k, name string) *hold {
	n.mu.Lock()
	defer n.mu.Unlock()
	h := n.keys[k]
	if h == nil {
		h = &hold{name: name}
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

// Run refreshes the TTL of every name this node holds, every TTL/4, until
// ctx is done (refreshWorkers at once); it returns at once without a
// TTL. A refresh is a publish on the key's subject with the TTL and the
// revision the node wrote last (kv.Update would drop the TTL: NATS.md
// §4), so it fails rather than
// revive a name that expired and another node took meanwhile. A name that
// expired (the node was cut off longer than the TTL) is created again if
// it is still free; if another node holds it now, lost is called with the
// folded name, with no lock held, for the node to log its sessions of it
// out (chat.Hub.NameLost), and the node holds it no more: its later logins
// of the name are refused until those sessions are gone. Errors that
// leave the hold as it was (a timeout) are logged and retried next time.
func (n *Names) Run(ctx context.Context, lost func(name string)) error {
	if n.ttl <= 0 {
		return nil
	}
	n.wake.every(ctx, n.ttl/4, func() {
		n.mu.Lock()
		all := make(map[string]*hold, len(n.keys))
		for k, h := range n.keys {
			all[k] = h
		}
		n.mu.Unlock()
		n.refreshAll(ctx, all, lost)
	})
	return nil
}

// refreshWorkers bounds the refreshes in flight at once (refreshAll). One
// at a time, each waiting for its ack (about 1 ms on a 3-server cluster),
// a round for a node of 10 000 users took the whole default TTL of 10 s,
// so its names expired and the other nodes saw its users leave.
const refreshWorkers = 32

// refreshAll refreshes every hold of all (Run's round), refreshWorkers at
// once, and returns once all are done; lost as for Run, from any of them.
func (n *Names) refreshAll(ctx context.Context, all map[string]*hold, lost func(name string)) {
	slots := make(chan struct{}, refreshWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for k, h := range all {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			gone, err := n.refresh(ctx, k, h)
			if err != nil && ctx.Err() == nil {
				n.log.Warn("refresh name", "key", k, "err", err)
			}
			if gone {
				n.log.Warn("name lost", "key", k, "reason", "expired and held by another node")
				if lost != nil {
					lost(h.name)
				}
			}
		})
	}
}

// RefreshNow has Run refresh every name at once rather than at its next
// tick: after a reconnect, so that names whose TTL ran low while the node
// was cut off are renewed before they expire. It does not block.
func (n *Names) RefreshNow() { n.wake.now() }

// refresh renews the TTL of the key k that h holds, if h holds it, and
// reports whether another node took it after it expired.
func (n *Names) refresh(ctx context.Context, k string, h *hold) (lost bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held == 0 || h.lost {
		return false, nil
	}
	actx, cancel := context.WithTimeout(ctx, n.ttl/4)
	defer cancel()
	ack, err := n.js.Publish(actx, "$KV."+NamesBucket+"."+k, h.val,
		jetstream.WithMsgTTL(n.ttl), jetstream.WithExpectLastSequencePerSubject(h.rev))
	if err == nil {
		h.rev = ack.Sequence
		return false, nil
	}
	if !wrongLastSequence(err) {
		return false, fmt.Errorf("refresh %s: %w", k, err)
	}
	rev, err := n.create(actx, k, h.val) // expired: the node's again if still free
	switch {
	case errors.Is(err, chat.ErrNameTaken):
		h.lost = true
		return true, nil
	case err != nil:
		return false, fmt.Errorf("hold %s again after it expired: %w", k, err)
	}
	h.rev = rev
	return false, nil
}

// wrongLastSequence reports whether err is JetStream's answer to a publish
// whose expected last sequence was not the subject's: the key changed.
func wrongLastSequence(err error) bool {
	var e *jetstream.APIError
	return errors.As(err, &e) && (e.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		e.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// openBucket creates the bucket of cfg, or opens it as another node made
// it, in files and with 3 replicas (R3) unless cfg says how many. Its
// reads go to the stream's leader, never to a replica: a direct get
// (jetstream's default for buckets) may be answered by a follower that
// has not applied the last writes yet, so a Get right after a Create
// that failed with ErrKeyExists could find no key (seen under load in
// TestRoomsRace: "read room Lounge: key not found"). Each race this
// package settles reads what it just lost to, so it needs the leader's
// answer. Only the node that creates the bucket sets it so; the others
// open it as it is, and would otherwise put direct gets back.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	cfg.Storage = jetstream.FileStorage
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		err = placed(ctx, func() (err error) {
			kv, err = js.CreateKeyValue(ctx, cfg)
			return err
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another node made it meanwhile
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	if err := leaderReads(ctx, js, "KV_"+cfg.Bucket); err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	if kv, err = js.KeyValue(ctx, cfg.Bucket); err != nil { // bound again: now without direct gets
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// leaderReads turns off direct gets on the stream called name, if on, so
// that every read of it is answered by its leader (openBucket), once the
// stream has a leader (awaitLeader).
func leaderReads(ctx context.Context, js jetstream.JetStream, name string) error {
	st, err := awaitLeader(ctx, js, name)
	if err != nil {
		return err
	}
	sc := st.CachedInfo().Config
	if !sc.AllowDirect {
		return nil
	}
	sc.AllowDirect = false
	if _, err := js.UpdateStream(ctx, sc); err != nil {
		return fmt.Errorf("read %s from its leader: %w", name, err)
	}
	return nil
}

// awaitLeader returns the stream called name once it has a leader. An
// update of a stream whose group is still electing its first leader, as
// when the nodes of a new cluster start at once and each finds the
// bucket or stream another just made, wedges JetStream's API for tens of
// seconds (every request timing out, other streams' elections with
// them), where waiting for the leader costs about 0.1 s: so every update
// here waits for it first.
func awaitLeader(ctx context.Context, js jetstream.JetStream, name string) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, name)
	for try := 0; (errors.Is(err, jetstream.ErrStreamNotFound) || err == nil && !hasLeader(st.CachedInfo())) && try < leaderTries; try++ {
		// Not found: made a moment ago, not yet known where asked.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		st, err = js.Stream(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	if !hasLeader(st.CachedInfo()) {
		return nil, fmt.Errorf("stream %s: no leader after %d tries", name, leaderTries)
	}
	return st, nil
}

// openStream creates the stream of cfg, or opens the one another node
// made and, once it has a leader, updates it to cfg if it differs (a
// setting such as the history changed since): never an update of a
// stream still electing (awaitLeader), as jetstream's
// CreateOrUpdateStream would make, which tries the update first.
func openStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var st jetstream.Stream
	err := placed(ctx, func() (err error) {
		st, err = js.CreateStream(ctx, cfg) // the same config as the stream's: no error
		return err
	})
	if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return st, err
	}
	if _, err := awaitLeader(ctx, js, cfg.Name); err != nil {
		return nil, err
	}
	return js.UpdateStream(ctx, cfg)
}

// leaderTries bounds awaitLeader's wait for a stream's leader: 10 s.
const leaderTries = 200

// hasLeader reports whether the stream of info has a leader (a stream
// of one server, not clustered, always has).
func hasLeader(info *jetstream.StreamInfo) bool {
	return info.Cluster == nil || info.Cluster.Leader != "" || info.Config.Replicas <= 1
}

// orDiscard is log, or a logger that discards if log is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// noPeers is JetStream's error code for "no suitable peers for placement":
// a cluster just started, whose servers do not all know each other yet.
const noPeers = 10005

// placed runs create, the creation of a bucket or a stream, again while it
// fails for want of peers, for up to placeWait.
func placed(ctx context.Context, create func() error) error {
	deadline := time.Now().Add(placeWait)
	for {
		err := create()
		var api *jetstream.APIError
		if err == nil || !errors.As(err, &api) || api.ErrorCode != noPeers || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// placeWait bounds how long placed waits for peers.
const placeWait = 10 * time.Second
