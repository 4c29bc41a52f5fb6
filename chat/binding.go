package chat

import (
	"slices"
	"time"
)

// claim checks that the name called name (key Fold(name), skeletons sks)
// is free for a login with the SSH key keyID (or "") at now, and binds it to
// keyID if it is unowned and keyID is not "". It returns the binding that
// the store must record: a new one (bound) or a refreshed one (refresh).
// The caller holds h.mu.
//
// A name an SSH key used is bound to it (owned) and refused to anyone
// else. A key owns at most Config.NamesPerKey names, and a binding its key
// has not used for Config.NameExpiry lapses. Lapsed bindings are dropped
// from memory, never by a timer (no goroutine to own): at New, which binds
// only those still in force (loadNames); and here, when a login asks for a
// lapsed name or a look-alike of it, or a key at its cap asks for a new name
// and one of its own has lapsed. A dropped binding's row stays in the store,
// skipped by every later New, until the name is bound again, which replaces
// it. A login with an owned name refreshes its binding's last use, written
// to the store at most once per refreshEvery so that logins seldom write;
// a login whose refresh cannot be stored goes on.
func (h *Hub) claim(name, key string, sks skeletonSet, keyID string, now time.Time) (rec NameRecord, bound, refresh bool, err error) {
	if h.users[key] != nil {
		return rec, false, false, ErrNameTaken
	}
	if _, like := h.online.find(sks, key); like {
		return rec, false, false, ErrNameTaken
	}
	rec, owned := h.owners[key]
	if owned && h.lapsed(rec, now) {
		h.lapse(key)
		owned = false
	}
	if owned && rec.KeyID != keyID {
		return rec, false, false, ErrNameOwned
	}
	for !owned { // an owner gets in with their name whatever looks like it
		other, like := h.ownedLike.find(sks, key)
		if !like {
			break
		}
		if !h.lapsed(h.owners[other], now) {
			return rec, false, false, ErrNameTaken
		}
		h.lapse(other)
	}
	if owned {
		if now.Sub(rec.LastUsed) < h.refreshEvery() {
			return rec, false, false, nil
		}
		rec.LastUsed = now
		h.owners[key] = rec
		return rec, false, true, nil
	}
	if keyID == "" {
		return NameRecord{}, false, false, nil
	}
	if h.namesPerKey > 0 && len(h.keyNames[keyID]) >= h.namesPerKey {
		for _, k := range slices.Clone(h.keyNames[keyID]) {
			if h.lapsed(h.owners[k], now) {
				h.lapse(k)
			}
		}
		if len(h.keyNames[keyID]) >= h.namesPerKey {
			return NameRecord{}, false, false, &TooManyNamesError{Max: h.namesPerKey}
		}
	}
	rec = NameRecord{Name: name, KeyID: keyID, LastUsed: now}
	h.bind(key, rec, sks)
	return rec, true, false, nil
}

// refreshEvery is how stale a binding's last use may be before a login
// writes it again: a day, or a tenth of the expiry if that is shorter.
func (h *Hub) refreshEvery() time.Duration {
	if h.nameExpiry > 0 {
		return min(24*time.Hour, h.nameExpiry/10)
	}
	return 24 * time.Hour
}

// lapsed reports whether rec was last used NameExpiry or more before now.
func (h *Hub) lapsed(rec NameRecord, now time.Time) bool {
	return h.nameExpiry > 0 && now.Sub(rec.LastUsed) >= h.nameExpiry
}

// bind records that key, the folded rec.Name whose skeletons are sks,
// belongs to rec.KeyID.
func (h *Hub) bind(key string, rec NameRecord, sks skeletonSet) {
	h.owners[key] = rec
	h.keyNames[rec.KeyID] = append(h.keyNames[rec.KeyID], key)
	h.ownedLike.add(sks, key)
}

// unbind forgets the binding of key.
func (h *Hub) unbind(key string) {
	rec, ok := h.owners[key]
	if !ok {
		return
	}
	delete(h.owners, key)
	names := slices.DeleteFunc(h.keyNames[rec.KeyID], func(k string) bool { return k == key })
	if len(names) == 0 {
		delete(h.keyNames, rec.KeyID)
	} else {
		h.keyNames[rec.KeyID] = names
	}
	h.ownedLike.remove(skeletons(key), key)
}

// lapse drops the binding of key, which lapsed.
func (h *Hub) lapse(key string) {
	rec := h.owners[key]
	h.log.Info("name binding lapsed", "user", rec.Name, "key", rec.KeyID, "last_used", rec.LastUsed)
	h.unbind(key)
}

// loadNames binds the names of a snapshot, but lapsed ones; of two names
// that fold together (a store written before names were normalised), the
// first is kept. A record without a last use counts as used now.
func (h *Hub) loadNames(recs []NameRecord) {
	now := h.now()
	lapsed := 0
	for _, rec := range recs {
		if rec.LastUsed.IsZero() {
			rec.LastUsed = now
		}
		key := Fold(rec.Name)
		switch old, dup := h.owners[key]; {
		case h.lapsed(rec, now):
			lapsed++
		case dup:
			h.log.Warn("name binding not loaded: same name as an earlier one", "user", rec.Name, "key", rec.KeyID, "kept", old.Name)
		default:
			h.bind(key, rec, skeletons(key))
		}
	}
	if lapsed > 0 {
		h.log.Info("name bindings lapsed", "count", lapsed)
	}
}

// initNames sets up the hub's names and look-alikes from cfg.
func (h *Hub) initNames(cfg Config) {
	h.reservedLike = lookalikes{}
	h.namesPerKey = max(cfg.NamesPerKey, 0)
	h.nameExpiry = max(cfg.NameExpiry, 0)
	h.owners = map[string]NameRecord{}
	h.keyNames = map[string][]string{}
	h.ownedLike = lookalikes{}
	h.online = lookalikes{}
	h.roomLike = lookalikes{}
}
