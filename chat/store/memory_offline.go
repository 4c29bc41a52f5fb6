package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"chatserver/chat"
)

// memOffline is what a Memory keeps for offline delivery, under a lock of
// its own.
type memOffline struct {
	mu   sync.Mutex
	recs map[string][]chat.OfflineRecord // by folded name, oldest first
	last int64                           // the last ID given
}

// SaveOffline keeps r, dropping the oldest of r.Name's past chat.MaxOffline.
func (m *Memory) SaveOffline(_ context.Context, r chat.OfflineRecord) error {
	o := &m.offline
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.recs == nil {
		o.recs = map[string][]chat.OfflineRecord{}
	}
	o.last++
	r.ID = o.last
	key := chat.Fold(r.Name)
	list := append(o.recs[key], r)
	if n := len(list) - chat.MaxOffline; n > 0 {
		list = slices.Delete(list, 0, n)
	}
	o.recs[key] = list
	return nil
}

// QueueOffline is SaveOffline: a Memory never waits.
func (m *Memory) QueueOffline(r chat.OfflineRecord) { _ = m.SaveOffline(context.Background(), r) }

// Offline returns what is kept for name, oldest first.
func (m *Memory) Offline(_ context.Context, name string) ([]chat.OfflineRecord, error) {
	o := &m.offline
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.recs[chat.Fold(name)]), nil
}

// DeleteOffline removes name's records whose ID is at most upTo.
func (m *Memory) DeleteOffline(_ context.Context, name string, upTo int64) error {
	o := &m.offline
	key := chat.Fold(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.del(key, func(r chat.OfflineRecord) bool { return r.ID <= upTo })
	return nil
}

// PruneOffline removes every record kept before before.
func (m *Memory) PruneOffline(_ context.Context, before time.Time) error {
	o := &m.offline
	o.mu.Lock()
	defer o.mu.Unlock()
	for key := range o.recs {
		o.del(key, func(r chat.OfflineRecord) bool { return r.Time.Before(before) })
	}
	return nil
}

// del removes the records of key for which drop is true; the caller holds o.mu.
func (o *memOffline) del(key string, drop func(chat.OfflineRecord) bool) {
	list := slices.DeleteFunc(o.recs[key], drop)
	if len(list) == 0 {
		delete(o.recs, key)
	} else {
		o.recs[key] = list
	}
}
