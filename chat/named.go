package chat

import "time"

// timed is a record that may end by itself: a ban or a mute.
type timed interface {
	ends() time.Time // zero for never
}

// live reports whether rec has not ended at now.
func live[T timed](rec T, now time.Time) bool {
	e := rec.ends()
	return e.IsZero() || now.Before(e)
}

// named holds a room's bans or mutes by the folded name they were made
// for, and finds them by look-alike names too, so that "b0b" is banned or
// muted with "bob". Records that have ended stay until Hub.endTimed drops them,
// but are never found. Its zero value is empty; not safe for concurrent
// use: the Hub guards it with mu.
type named[T timed] struct {
	recs map[string]T
	like lookalikes // skeletons of the names in recs
}

// put records rec for the name whose key (Fold) is key, replacing the one
// it had.
func (n *named[T]) put(key string, rec T) {
	if n.recs == nil {
		n.recs, n.like = map[string]T{}, lookalikes{}
	}
	n.recs[key] = rec
	n.like.add(skeletons(key), key)
}

// full reports whether n holds MaxRoomRecords records and none for the
// name whose key is key: a record for it would be one too many.
func (n *named[T]) full(key string) bool {
	_, had := n.recs[key]
	return !had && len(n.recs) >= MaxRoomRecords
}

// drop forgets the record of the name whose key is key.
func (n *named[T]) drop(key string) {
	if _, ok := n.recs[key]; ok {
		delete(n.recs, key)
		n.like.remove(skeletons(key), key)
	}
}

// get returns the record of the name whose key is key itself, if it has
// not ended at now.
func (n *named[T]) get(key string, now time.Time) (T, bool) {
	rec, ok := n.recs[key]
	if !ok || !live(rec, now) {
		var zero T
		return zero, false
	}
	return rec, true
}

// find returns the record, live at now, of the name whose key is key and
// whose skeletons are sks, or else of a name that looks like it, and the
// key it is kept under.
func (n *named[T]) find(sks skeletonSet, key string, now time.Time) (T, string, bool) {
	if rec, ok := n.get(key, now); ok {
		return rec, key, true
	}
	if len(n.recs) > 0 {
		for _, sk := range sks {
			if sk == "" {
				continue
			}
			for _, k := range n.like[sk] {
				if rec, ok := n.get(k, now); ok && k != key {
					return rec, k, true
				}
			}
		}
	}
	var zero T
	return zero, "", false
}

// any reports whether a record is live at now.
func (n *named[T]) any(now time.Time) bool {
	for _, rec := range n.recs {
		if live(rec, now) {
			return true
		}
	}
	return false
}

// lapse drops the records that have ended at now and returns how many it
// dropped and when the next of the others ends (zero for none).
func (n *named[T]) lapse(now time.Time) (dropped int, next time.Time) {
	for k, rec := range n.recs {
		switch e := rec.ends(); {
		case e.IsZero():
		case !now.Before(e):
			n.drop(k)
			dropped++
		case next.IsZero() || e.Before(next):
			next = e
		}
	}
	return dropped, next
}

// liftNamed removes the record that which(r) holds, in the room called
// where, for name or a look-alike of it: first from the store (del), then
// from memory, where changed (nil for nothing) runs under mu after the
// drop; one change at a time with the others of room rights (rightsMu).
// It returns the record and its room, or notFound if there is none.
func liftNamed[T timed](h *Hub, where, name string, which func(*room) *named[T], notFound error,
	del func(r *room, rec T) error, changed func(*room)) (T, *room, error) {
	var rec T
	r, err := h.changeRights(func() (*room, error) {
		r := h.liveRoom(where)
		var key string
		ok := false
		if r != nil {
			h.mu.RLock()
			rec, key, ok = which(r).find(skeletons(Fold(name)), Fold(name), h.now())
			h.mu.RUnlock()
		}
		if !ok {
			return nil, notFound
		}
		if err := del(r, rec); err != nil {
			return nil, err
		}
		if h.cluster != nil {
			return r, nil // taken out by timedRecords
		}
		h.mu.Lock()
		which(r).drop(key)
		if changed != nil {
			changed(r)
		}
		h.mu.Unlock()
		return r, nil
	})
	return rec, r, err
}
