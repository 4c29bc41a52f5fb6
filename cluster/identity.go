package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"chatserver/chat"

	"github.com/nats-io/nats.go/jetstream"
)

// Buckets and the stream of the identity shared by every node (slice 5b).
const (
	// NameBindingsBucket holds the names' bindings to SSH keys (a key per
	// name: Key of its folded form) and their passwords ("pw." and the
	// same).
	NameBindingsBucket = "chat_names"
	// ServerBansBucket holds the server bans (/gban), a key per banned
	// name (Key of its folded form).
	ServerBansBucket = "chat_gbans"
	// OfflineStream keeps the messages for offline names, a subject per
	// name (OfflineSubject), the newest chat.MaxOffline of each, for
	// chat.OfflineFor at most.
	OfflineStream = "CHAT_OFFLINE"
)

// pwPrefix starts the key of a name's password in NameBindingsBucket (Key
// escapes dots, so no name's key starts so).
const pwPrefix = "pw."

// offlineQueue bounds the mentions waiting to be published
// (QueueOffline); past it they are dropped, and logged.
const offlineQueue = 4096

// bindTries bounds the reads and writes of a binding whose revision
// changed under it.
const bindTries = 5

// PasswordKey is the key in NameBindingsBucket of the password of the
// name whose folded form is folded; its binding's is Key(folded).
func PasswordKey(folded string) string { return pwPrefix + Key(folded) }

// OfflineSubject is the subject of the messages kept for the name whose
// folded form is folded.
func OfflineSubject(folded string) string { return "chat.offline." + Key(folded) }

// Identity shares what identifies a user: name bindings and passwords
// (KV chat_names), server bans (KV chat_gbans) and the messages kept for
// offline names (stream CHAT_OFFLINE). Its methods are chat.Cluster's of
// slice 5b; Watch feeds a hub's memory. Safe for concurrent use.
type Identity struct {
	js     jetstream.JetStream
	names  jetstream.KeyValue
	gbans  jetstream.KeyValue
	stream jetstream.Stream
	log    *slog.Logger
	queue  chan chat.OfflineRecord // QueueOffline's, published by Watch
}

// IdentityConfig says how the buckets and the stream are made.
type IdentityConfig struct {
	Replicas int          // copies: 3 (R3) if 0
	Logger   *slog.Logger // nil: discard
}

// OpenIdentity creates the buckets and the stream, or opens them as
// another node made them.
func OpenIdentity(ctx context.Context, js jetstream.JetStream, cfg IdentityConfig) (*Identity, error) {
	names, err := openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: NameBindingsBucket, Replicas: cfg.Replicas, History: 5})
	if err != nil {
		return nil, err
	}
	gbans, err := openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: ServerBansBucket, Replicas: cfg.Replicas})
	if err != nil {
		return nil, err
	}
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 3
	}
	stream, err := openStream(ctx, js, jetstream.StreamConfig{
		Name: OfflineStream, Subjects: []string{"chat.offline.*"}, Storage: jetstream.FileStorage, Replicas: replicas,
		MaxMsgsPerSubject: chat.MaxOffline, MaxAge: chat.OfflineFor, Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", OfflineStream, err)
	}
	return &Identity{js: js, names: names, gbans: gbans, stream: stream, log: orDiscard(cfg.Logger),
		queue: make(chan chat.OfflineRecord, offlineQueue)}, nil
}

// bindingValue is a name's binding in the bucket.
type bindingValue struct {
	Name     string    `json:"name"`
	KeyID    string    `json:"key"`
	LastUsed time.Time `json:"last_used"`
}

// passwordValue is a name's password in the bucket: its hash, never the
// password.
type passwordValue struct {
	Name string    `json:"name"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

// BindName records rec (chat.Cluster). A new binding (bound) is a Create;
// one there already is replaced (Update with the revision read) only if
// it is the same key's (an earlier try, or the watcher had not told this
// node yet) or lapsed (used before lapsedBefore); else the error wraps
// chat.ErrNameOwned. A refresh updates the key's own binding with the
// revision read. Of nodes racing to bind one name, one Create or Update
// wins; the others read again and find it.
func (id *Identity) BindName(ctx context.Context, rec chat.NameRecord, bound bool, lapsedBefore time.Time) error {
	k := Key(chat.Fold(rec.Name))
	data, err := json.Marshal(bindingValue{Name: rec.Name, KeyID: rec.KeyID, LastUsed: rec.LastUsed})
	if err != nil {
		return fmt.Errorf("bind name %s: %w", rec.Name, err)
	}
	for range bindTries {
		e, err := id.names.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err = id.names.Create(ctx, k, data); errors.Is(err, jetstream.ErrKeyExists) {
				continue // another node's, or ours from a lost answer: read it
			}
			return wrapBind(rec.Name, err)
		}
		if err != nil {
			return wrapBind(rec.Name, err)
		}
		var had bindingValue
		if err := json.Unmarshal(e.Value(), &had); err != nil {
			return wrapBind(rec.Name, err)
		}
		lapsed := !lapsedBefore.IsZero() && had.LastUsed.Before(lapsedBefore)
		if had.KeyID != rec.KeyID && !(bound && lapsed) {
			return fmt.Errorf("bind name %s: %w", rec.Name, chat.ErrNameOwned)
		}
		if _, err = id.names.Update(ctx, k, data, e.Revision()); errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		return wrapBind(rec.Name, err)
	}
	return fmt.Errorf("bind name %s: changed %d times meanwhile", rec.Name, bindTries)
}

// wrapBind wraps a binding's error, nil for none.
func wrapBind(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("bind name %s: %w", name, err)
}

// SavePassword records the hash of r (chat.Cluster): a Create for a
// name's first password (another node's first: chat.ErrNameOwned), a Put
// for a change, made only by a session that proved the name, which is
// online on one node at a time.
func (id *Identity) SavePassword(ctx context.Context, r chat.PasswordRecord, first bool) error {
	k := PasswordKey(chat.Fold(r.Name))
	data, err := json.Marshal(passwordValue{Name: r.Name, Hash: r.Hash, Time: r.Time})
	if err != nil {
		return fmt.Errorf("save password of %s: %w", r.Name, err)
	}
	if first {
		_, err = id.names.Create(ctx, k, data)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("save password of %s: %w", r.Name, chat.ErrNameOwned)
		}
	} else {
		_, err = id.names.Put(ctx, k, data)
	}
	if err != nil {
		return fmt.Errorf("save password of %s: %w", r.Name, err)
	}
	return nil
}

// SaveServerBan records b (chat.Cluster): a Put, the last /gban of a name
// is its ban.
func (id *Identity) SaveServerBan(ctx context.Context, b chat.ServerBanRecord) error {
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("save server ban of %s: %w", b.Name, err)
	}
	if _, err := id.gbans.Put(ctx, Key(chat.Fold(b.Name)), data); err != nil {
		return fmt.Errorf("save server ban of %s: %w", b.Name, err)
	}
	return nil
}

// DeleteServerBan removes the server ban of name (chat.Cluster).
func (id *Identity) DeleteServerBan(ctx context.Context, name string) error {
	if err := id.gbans.Delete(ctx, Key(chat.Fold(name))); err != nil {
		return fmt.Errorf("delete server ban of %s: %w", name, err)
	}
	return nil
}

// OfflineStore returns the stream of the messages kept for offline names
// (chat.Cluster).
func (id *Identity) OfflineStore() chat.OfflineStore { return offlineStore{id} }

// offlineStore is chat.OfflineStore on the stream: a record's ID is its
// stream sequence.
type offlineStore struct{ id *Identity }

// offlineValue is a kept message in the stream.
type offlineValue struct {
	Name string    `json:"name"`
	From string    `json:"from"`
	Room string    `json:"room,omitempty"`
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// SaveOffline publishes r and returns once the stream has it; the stream
// keeps the newest chat.MaxOffline of a name.
func (o offlineStore) SaveOffline(ctx context.Context, r chat.OfflineRecord) error {
	data, err := json.Marshal(offlineValue{Name: r.Name, From: r.From, Room: r.Room, Text: r.Text, Time: r.Time})
	if err != nil {
		return fmt.Errorf("keep a message for %s: %w", r.Name, err)
	}
	if _, err := o.id.js.Publish(ctx, OfflineSubject(chat.Fold(r.Name)), data); err != nil {
		return fmt.Errorf("keep a message for %s: %w", r.Name, err)
	}
	return nil
}

// QueueOffline queues r for Watch to publish; it never blocks, and drops
// r (logged) when offlineQueue are waiting.
func (o offlineStore) QueueOffline(r chat.OfflineRecord) {
	select {
	case o.id.queue <- r:
	default:
		o.id.log.Warn("message for an offline name dropped: queue full", "user", chat.LogName(r.Name))
	}
}

// offlineRead bounds the reading of a name's kept messages at login: a
// cluster that does not answer delays the login by it, no more (what is
// kept waits for the next login).
const offlineRead = 5 * time.Second

// Offline reads what the stream keeps for name, oldest first.
func (o offlineStore) Offline(ctx context.Context, name string) ([]chat.OfflineRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, offlineRead)
	defer cancel()
	subj := OfflineSubject(chat.Fold(name))
	info, err := o.id.stream.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	kept := info.State.Subjects[subj]
	if kept == 0 {
		return nil, nil
	}
	// One consumer made with one request and read with one fetch of what
	// the stream said it keeps: nats.go's ordered consumer remakes itself
	// on a timeout of its own, which a request unanswered for a moment
	// (a stream just made, a leader elected) outlasted offlineRead.
	cons, err := o.id.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject: subj, AckPolicy: jetstream.AckNonePolicy, MemoryStorage: true, Replicas: 1,
		InactiveThreshold: offlineRead,
	})
	if err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	defer o.id.stream.DeleteConsumer(ctx, cons.CachedInfo().Name) // else gone once idle
	deadline, _ := ctx.Deadline()
	batch, err := cons.Fetch(int(min(kept, chat.MaxOffline+1)), jetstream.FetchMaxWait(time.Until(deadline)))
	if err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	var recs []chat.OfflineRecord
	for m := range batch.Messages() {
		md, err := m.Metadata()
		if err != nil {
			return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
		}
		var v offlineValue
		if err := json.Unmarshal(m.Data(), &v); err == nil {
			recs = append(recs, chat.OfflineRecord{ID: int64(md.Sequence.Stream), Name: v.Name, From: v.From, Room: v.Room, Text: v.Text, Time: v.Time})
		}
	}
	if err := batch.Error(); err != nil && len(recs) == 0 {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	return recs, nil
}

// DeleteOffline purges name's messages up to the sequence upTo: one
// stored after the read is kept for the next login.
func (o offlineStore) DeleteOffline(ctx context.Context, name string, upTo int64) error {
	err := o.id.stream.Purge(ctx, jetstream.WithPurgeSubject(OfflineSubject(chat.Fold(name))), jetstream.WithPurgeSequence(uint64(upTo)+1))
	if err != nil {
		return fmt.Errorf("delete messages delivered to %s: %w", name, err)
	}
	return nil
}

// PruneOffline does nothing: the stream's MaxAge drops what is too old.
func (o offlineStore) PruneOffline(context.Context, time.Time) error { return nil }

// Watch keeps hub's memory in step with the buckets until ctx is done
// (chat.Hub.RemoteBinding, RemotePassword, RemoteServerBan,
// RemoteServerUnban), and publishes the mentions QueueOffline queued.
// ready, if not nil, is called once what both buckets held has been
// applied. It returns when ctx is done, or a watch ends early.
func (id *Identity) Watch(ctx context.Context, hub *chat.Hub, ready func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { id.publishQueued(ctx) })
	var once sync.WaitGroup
	once.Add(2)
	if ready != nil {
		wg.Go(func() {
			once.Wait()
			if ctx.Err() == nil {
				ready()
			}
		})
	}
	gbanNames := map[string]string{} // key → name, for deletions; touched by the gbans watch only
	nameOf := map[string]string{}    // the same for the names bucket, touched by its watch only
	errs := make(chan error, 2)
	namesRead, gbansRead := sync.OnceFunc(once.Done), sync.OnceFunc(once.Done) // also when a watch ends early
	wg.Go(func() {
		defer namesRead()
		errs <- watchBucket(ctx, id.log, id.names, NameBindingsBucket, namesRead, func(e jetstream.KeyValueEntry) {
			id.applyName(hub, e, nameOf)
		})
	})
	wg.Go(func() {
		defer gbansRead()
		errs <- watchBucket(ctx, id.log, id.gbans, ServerBansBucket, gbansRead, func(e jetstream.KeyValueEntry) {
			if e.Operation() != jetstream.KeyValuePut {
				if name, ok := gbanNames[e.Key()]; ok {
					delete(gbanNames, e.Key())
					hub.RemoteServerUnban(name)
				}
				return
			}
			var b chat.ServerBanRecord
			if err := json.Unmarshal(e.Value(), &b); err != nil {
				id.log.Warn("server ban record", "key", e.Key(), "err", err)
				return
			}
			gbanNames[e.Key()] = b.Name
			hub.RemoteServerBan(b)
		})
	})
	err := <-errs
	cancel()
	if err2 := <-errs; err == nil {
		err = err2
	}
	return err
}

// applyName gives hub a binding or a password from the names bucket, or
// its deletion (by hand: nothing of ours deletes them); nameOf keeps the
// name of each key, for its deletion.
func (id *Identity) applyName(hub *chat.Hub, e jetstream.KeyValueEntry, nameOf map[string]string) {
	pw := strings.HasPrefix(e.Key(), pwPrefix)
	if e.Operation() != jetstream.KeyValuePut {
		name, ok := nameOf[e.Key()]
		switch {
		case !ok:
		case pw:
			hub.RemoteUnsetPassword(name)
		default:
			hub.RemoteUnbind(name)
		}
		delete(nameOf, e.Key())
		return
	}
	if pw {
		var v passwordValue
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			id.log.Warn("password record", "key", e.Key(), "err", err)
			return
		}
		nameOf[e.Key()] = v.Name
		hub.RemotePassword(chat.PasswordRecord{Name: v.Name, Hash: v.Hash, Time: v.Time})
		return
	}
	var v bindingValue
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		id.log.Warn("name binding record", "key", e.Key(), "err", err)
		return
	}
	nameOf[e.Key()] = v.Name
	hub.RemoteBinding(chat.NameRecord{Name: v.Name, KeyID: v.KeyID, LastUsed: v.LastUsed})
}

// publishQueued publishes the queued mentions until ctx is done.
func (id *Identity) publishQueued(ctx context.Context) {
	o := offlineStore{id}
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-id.queue:
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := o.SaveOffline(pctx, r); err != nil {
				id.log.Warn("message for an offline name dropped", "user", chat.LogName(r.Name), "err", err)
			}
			cancel()
		}
	}
}

// watchBucket calls apply with every entry of kv, those there already
// first, then each change, until ctx is done (a watch that ends is started
// again: watch); ready once those there already were applied. A panic in
// apply skips that entry, logged to log.
func watchBucket(ctx context.Context, log *slog.Logger, kv jetstream.KeyValue, bucket string, ready func(), apply func(jetstream.KeyValueEntry)) error {
	return watch(ctx, log, kv, "bucket "+bucket, nil, func(e jetstream.KeyValueEntry) {
		if e != nil {
			recovered(log, "a record of bucket "+bucket, func() { apply(e) })
			return
		}
		if ready != nil {
			ready()
			ready = nil
		}
	})
}
