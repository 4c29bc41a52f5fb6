package chat

import (
	"slices"
	"time"
)

// BindsPerAddrHour is how many names SSH keys may newly own within an hour
// from one source address (its host, or its /64). Keys cost nothing to
// make, so without it one address could own names without end, NamesPerKey
// at a time. Past it a login goes on with its name unowned, as one without
// a key would.
const BindsPerAddrHour = 10

// claim checks that the name called name (key Fold(name), skeletons sks)
// is free for a login with the SSH key keyID (or "") from addr at now, and
// binds it to keyID if it is unowned, keyID is not "" and the address has
// not bound BindsPerAddrHour names within the hour (else unbound is set). It returns the binding that
// the store must record: a new one (bound) or a refreshed one (refresh),
// and the bindings it dropped as lapsed, for the caller to log once it has
// unlocked. The caller holds h.mu for writing.
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
//
// A name with a password (password.go) is claimed only by its owning key
// or a login whose door proved the password (proven), which also gets in
// to a name another key owns; no key is bound to it, and names that look
// like it are taken. c.proven tells whether the login proved a protected
// name.
func (h *Hub) claim(name, key string, sks skeletonSet, keyID, addr string, proven bool, now time.Time) (c claimed, err error) {
	if h.users[key] != nil {
		return c, ErrNameTaken
	}
	if _, like := h.online.find(sks, key); like {
		return c, ErrNameTaken
	}
	rec, owned := h.owners[key]
	if owned && h.lapsed(rec, now) {
		c.lapsed = append(c.lapsed, h.lapse(key))
		owned = false
	}
	hasPw := h.pw.has(key)
	byPw := hasPw && proven
	if owned && rec.KeyID != keyID && !byPw {
		return c, ErrNameOwned
	}
	if hasPw && !byPw && !owned {
		return c, ErrWrongPassword
	}
	if _, like := h.pw.like.find(sks, key); like && !owned && !hasPw {
		return c, ErrNameTaken
	}
	if byPw && (!owned || rec.KeyID != keyID) {
		c.proven = true // in by its password: no key is bound or refreshed
		return c, nil
	}
	for !owned { // an owner gets in with their name whatever looks like it
		other, like := h.ownedLike.find(sks, key)
		if !like {
			break
		}
		if !h.lapsed(h.owners[other], now) {
			return c, ErrNameTaken
		}
		c.lapsed = append(c.lapsed, h.lapse(other))
	}
	if owned {
		c.rec, c.proven = rec, true
		if now.Sub(rec.LastUsed) < h.refreshEvery() {
			return c, nil
		}
		c.rec.LastUsed = now
		h.owners[key] = c.rec
		c.refresh = true
		return c, nil
	}
	if keyID == "" {
		return c, nil
	}
	if h.namesPerKey > 0 && len(h.keyNames[keyID]) >= h.namesPerKey {
		for _, k := range slices.Clone(h.keyNames[keyID]) {
			if h.lapsed(h.owners[k], now) {
				c.lapsed = append(c.lapsed, h.lapse(k))
			}
		}
		if len(h.keyNames[keyID]) >= h.namesPerKey {
			return c, &TooManyNamesError{Max: h.namesPerKey}
		}
	}
	if h.binds.full(addrKey(addr), now) {
		c.unbound = true
		return c, nil
	}
	h.binds.add(addrKey(addr), now)
	c.rec = NameRecord{Name: name, KeyID: keyID, LastUsed: now}
	h.bind(key, c.rec, sks)
	c.bound, c.proven = true, true
	return c, nil
}

// claimed is what claim found: the binding the store must record (rec, new
// if bound, refreshed if refresh) and the bindings that lapsed.
type claimed struct {
	rec            NameRecord
	bound, refresh bool
	unbound        bool // a new name left unowned: its address bound too many lately
	proven         bool // the login proved a protected name: its key, or its password
	lapsed         []NameRecord
}

// logLapsed logs the bindings claim dropped; the caller holds no lock.
func (h *Hub) logLapsed(recs []NameRecord) {
	for _, rec := range recs {
		h.log.Info("name binding lapsed", "user", LogName(rec.Name), "key", rec.KeyID, "last_used", rec.LastUsed)
	}
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

// lapse drops the binding of key, which lapsed, and returns it.
func (h *Hub) lapse(key string) NameRecord {
	rec := h.owners[key]
	h.unbind(key)
	return rec
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
	h.binds = newRecentTimes(BindsPerAddrHour)
	h.ownedLike = lookalikes{}
	h.online = lookalikes{}
	h.roomLike = lookalikes{}
}
