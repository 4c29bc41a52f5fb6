package chat

// Identity shared by several nodes (slice 5b, cluster/DESIGN.md): name
// bindings, passwords, server bans and offline delivery are the cluster's
// record when there is one (Config.Cluster). The decisions stay where they
// are (claim, claimOver, protectedName, serverBanOf), made on this node's
// maps; those maps are a cache the cluster's watchers keep through the
// Remote… methods below, and the cluster's write settles every race.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// bindName records rec, a binding claim made (bound) or refreshed, in the
// cluster if there is one (its record; the store keeps a copy, a failure
// there logged), else in the store. Called with no lock held.
func (h *Hub) bindName(ctx context.Context, rec NameRecord, bound bool) error {
	if h.cluster == nil {
		return h.store.BindName(ctx, rec)
	}
	var lapsedBefore time.Time
	if h.nameExpiry > 0 {
		lapsedBefore = h.now().Add(-h.nameExpiry)
	}
	if err := h.cluster.BindName(ctx, rec, bound, lapsedBefore); err != nil {
		return err
	}
	if err := h.store.BindName(ctx, rec); err != nil {
		h.log.Warn("keep a copy of a name binding", "user", LogName(rec.Name), "err", err)
	}
	return nil
}

// bindFailed words the failure err of a new binding of name for the
// user: another node's key bound it first (ErrNameOwned), or the record
// could not be written (ErrStore).
func bindFailed(name string, err error) error {
	if errors.Is(err, ErrNameOwned) {
		return ErrNameOwned
	}
	return fmt.Errorf("bind name %s: %w: %w", name, ErrStore, err)
}

// unbindOwn forgets the binding of key if it is still keyID's: a binding
// another node made, which the watcher put in meanwhile, stays. The
// caller holds h.mu for writing.
func (h *Hub) unbindOwn(key, keyID string) {
	if rec, ok := h.owners[key]; ok && rec.KeyID == keyID {
		h.unbind(key)
	}
}

// savePassword records r in the cluster if there is one (first: the name
// had no password), else in the store. Called with no lock held.
func (h *Hub) savePassword(ctx context.Context, r PasswordRecord, first bool) error {
	if h.cluster == nil {
		return h.store.SavePassword(ctx, r)
	}
	if err := h.cluster.SavePassword(ctx, r, first); err != nil {
		return err
	}
	if err := h.store.SavePassword(ctx, r); err != nil {
		h.log.Warn("keep a copy of a password", "user", LogName(r.Name), "err", err)
	}
	return nil
}

// saveServerBan records b in the cluster if there is one, else in the
// store. Called with no lock held.
func (h *Hub) saveServerBan(ctx context.Context, b ServerBanRecord) error {
	if h.cluster == nil {
		return h.store.SaveServerBan(ctx, b)
	}
	if err := h.cluster.SaveServerBan(ctx, b); err != nil {
		return err
	}
	if err := h.store.SaveServerBan(ctx, b); err != nil {
		h.log.Warn("keep a copy of a server ban", "user", LogName(b.Name), "err", err)
	}
	return nil
}

// deleteServerBan removes the server ban of name from the cluster if there
// is one, else from the store. Called with no lock held.
func (h *Hub) deleteServerBan(ctx context.Context, name string) error {
	if h.cluster == nil {
		return h.store.DeleteServerBan(ctx, name)
	}
	if err := h.cluster.DeleteServerBan(ctx, name); err != nil {
		return err
	}
	if err := h.store.DeleteServerBan(ctx, name); err != nil {
		h.log.Warn("drop the copy of a server ban", "user", LogName(name), "err", err)
	}
	return nil
}

// offline returns where messages kept for offline names are: the
// cluster's, every node's alike, or the store.
func (h *Hub) offline() OfflineStore {
	if h.cluster != nil {
		if o := h.cluster.OfflineStore(); o != nil {
			return o
		}
	}
	return h.store
}

// RemoteBinding puts rec, a name's binding as the cluster records it (made
// or refreshed on any node, this one's too), in the hub's memory, in place
// of another key's binding of the name. The cluster's watcher calls it.
// Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteBinding(rec NameRecord) {
	name, key, sks, err := loginName(rec.Name)
	if err != nil {
		return
	}
	rec.Name = name
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.owners[key]; ok {
		if old.KeyID == rec.KeyID {
			if rec.LastUsed.After(old.LastUsed) {
				h.owners[key] = rec
			}
			return
		}
		h.unbind(key)
	}
	h.bind(key, rec, sks)
}

// RemoteUnbind forgets the binding of name (compared with Fold): the
// cluster no longer records it (deleted from the bucket by hand, as
// `names release` does to a single node's store). The cluster's watcher
// calls it. Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteUnbind(name string) {
	key := Fold(name)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unbind(key)
}

// RemoteUnsetPassword forgets the password of name (compared with Fold):
// the cluster no longer records it. The cluster's watcher calls it. Safe
// from any goroutine with no engine lock held.
func (h *Hub) RemoteUnsetPassword(name string) {
	key := Fold(name)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pw.unset(key)
}

// RemotePassword puts r, a name's password as the cluster records it, in
// the hub's memory. The cluster's watcher calls it. Safe from any
// goroutine with no engine lock held.
func (h *Hub) RemotePassword(r PasswordRecord) {
	key := Fold(Normalize(r.Name))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pw.set(key, r.Name, r.Hash)
}

// RemoteServerBan puts b, a server ban as the cluster records it, in the
// hub's memory in place of one of the same folded name; one that ended is
// dropped. The user a new ban names, if online on this node, is told and
// disconnected, as the banning node's request does (which a timeout can
// lose; told twice is harmless, a banned user left online is not). The
// cluster's watcher calls it. Safe from any goroutine with no engine lock
// held.
func (h *Hub) RemoteServerBan(b ServerBanRecord) {
	g := newServerBan(b)
	now := h.now()
	h.mu.Lock()
	known := slices.ContainsFunc(h.gbans, func(o serverBan) bool { // this node's own ban, back through the watcher
		return o.key == g.key && o.Time.Equal(b.Time) && o.Until.Equal(b.Until)
	})
	h.gbans = slices.DeleteFunc(h.gbans, func(o serverBan) bool { return o.key == g.key || !o.activeAt(now) })
	var s *Session
	if b.activeAt(now) {
		h.gbans = append(h.gbans, g)
		if s = h.users[g.key]; known || (s != nil && s.room == nil) {
			s = nil // told by the ban made here, or still logging in: Login's own check refuses it
		}
	}
	h.mu.Unlock()
	if s != nil {
		h.log.Info("disconnected", "user", LogName(s.name), "door", s.door, "addr", s.addr, "reason", "server ban made on another node")
		s.dropWith(TextServerBanned)
	}
}

// RemoteServerUnban drops the server ban of name (compared with Fold)
// from the hub's memory: the cluster no longer records it. The cluster's
// watcher calls it. Safe from any goroutine with no engine lock held.
func (h *Hub) RemoteServerUnban(name string) {
	key := Fold(name)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gbans = slices.DeleteFunc(h.gbans, func(o serverBan) bool { return o.key == key })
}
