package chat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cluster is what the Hub asks when several nodes are one chat server
// (package cluster implements it over NATS JetStream; cluster/DESIGN.md).
// Config.Cluster nil is a single node: the Hub decides everything by
// itself, as it always has. Methods are called with no engine lock held
// and may block on I/O until ctx is done; they are safe for concurrent use.
type Cluster interface {
	// HoldName holds the name whose folded form is key (Fold) for this
	// node, once the node's own Hub has let a login of it in: it fails
	// with an error wrapping ErrNameTaken if another node holds it. A
	// name the node holds already (a login replacing an older session of
	// it) is held once more. release lets go of this hold; calling it
	// again does nothing.
	HoldName(ctx context.Context, key string) (release func(context.Context) error, err error)
	// CreateRoom records the new room r for every node, once this node's
	// Hub decided to create it. If another node created a room of that
	// folded name first, it fails with an error wrapping ErrRoomExists
	// and returns that room's record: r's creator then simply enters it.
	CreateRoom(ctx context.Context, r RoomRecord) (RoomRecord, error)

	// Slice 5c: commands on a user connected to another node (remote.go).

	// Remote sends req to the node that holds the name of req.Target
	// online, which does it (Hub.Remote there), and returns its answer.
	// It fails with an error wrapping ErrNotFound if no other node holds
	// the name, or if its node does not answer before ctx is done.
	Remote(ctx context.Context, req RemoteRequest) (RemoteReply, error)

	// Slice 5b, identity (identity.go): what identifies a user is the
	// cluster's record, every node's memory a cache of it fed through
	// RemoteBinding, RemotePassword, RemoteServerBan and RemoteServerUnban.

	// BindName records rec, a name's binding to an SSH key (first caller:
	// Hub.login, where the store's BindName is). bound: a new binding,
	// refused with an error wrapping ErrNameOwned if another key's
	// binding of the name is there and was used at or after lapsedBefore
	// (zero: bindings never lapse); else a refresh of the key's own.
	BindName(ctx context.Context, rec NameRecord, bound bool, lapsedBefore time.Time) error
	// SavePassword records r, a name's password hash (first caller:
	// Session.setPassword); first says the name had none: it fails with an
	// error wrapping ErrNameOwned if another node set one meanwhile.
	SavePassword(ctx context.Context, r PasswordRecord, first bool) error
	// SaveServerBan records b, replacing a ban of a name that folds the
	// same; DeleteServerBan removes the ban of name (Bot.ServerBan and
	// Bot.ServerUnban).
	SaveServerBan(ctx context.Context, b ServerBanRecord) error
	DeleteServerBan(ctx context.Context, name string) error
	// OfflineStore returns where messages kept for offline names go, for
	// every node alike (New); nil keeps them in the node's Store.
	OfflineStore() OfflineStore

	// Slice 5a: room rights, bans and mutes, shared by every node (first
	// callers: Hub.sharedRights, Hub.timedRecords).

	// UpdateRights changes the shared rights of the room called room:
	// it reads them, runs change on them and writes them back only if
	// nobody changed them meanwhile (else it reads again and reruns
	// change, a bounded number of times). An error from change is
	// returned as it is. It returns the rights as written.
	UpdateRights(ctx context.Context, room string, change func(*SharedRights) error) (SharedRights, error)
	// SaveBan, DeleteBan, SaveMute and DeleteMute record a room's bans and
	// mutes for every node, as the Store does for one. Each returns the
	// revision it wrote, or, for a deletion, the revision of the record it
	// deleted (0 if there was none): the revisions the cluster's watcher
	// gives with RemoteBan and the others.
	SaveBan(ctx context.Context, b BanRecord) (uint64, error)
	DeleteBan(ctx context.Context, room, name string) (uint64, error)
	SaveMute(ctx context.Context, m MuteRecord) (uint64, error)
	DeleteMute(ctx context.Context, room, name string) (uint64, error)
}

// releaseTimeout bounds the I/O of letting go of a name at logout, which
// runs whether or not the logging-out user's context is still alive.
const releaseTimeout = 5 * time.Second

// holdName holds the name of s in the cluster, if there is one, after
// claim let the login in (c). If the cluster refuses, the claim is undone
// as a failed binding's is, and the error wraps ErrNameTaken, or ErrStore
// for a cluster out of reach. Called with no lock held.
func (h *Hub) holdName(ctx context.Context, s *Session, c claimed) (release func(context.Context) error, err error) {
	if h.cluster == nil {
		return nil, nil
	}
	release, err = h.cluster.HoldName(ctx, s.key)
	if errors.Is(err, ErrNameTaken) && c.proven && !c.bound { // proved by its password or owning key: a ghost elsewhere
		release, err = h.takeOver(ctx, s)
	}
	if err == nil {
		return release, nil
	}
	h.mu.Lock()
	if c.bound {
		h.unbindOwn(s.key, c.rec.KeyID)
	}
	h.dropLogin(s)
	h.mu.Unlock()
	if errors.Is(err, ErrNameTaken) {
		h.log.Info("login refused", "user", LogName(s.name), "door", s.door, "addr", s.addr, "reason", "name held on another node")
		return nil, err
	}
	h.log.Error("hold name", "user", LogName(s.name), "err", err)
	return nil, fmt.Errorf("hold name %s: %w: %w", s.name, ErrStore, err)
}

// releaseName lets go of the cluster's hold of the name of s (release,
// nil for none), with no lock held.
func (h *Hub) releaseName(s *Session, release func(context.Context) error) {
	if release == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if err := release(ctx); err != nil {
		h.log.Warn("release name", "user", LogName(s.name), "err", err)
	}
}

// NameLost logs out the session of this hub whose folded name (Fold) is
// key, if there is one, because the cluster no longer holds the name for
// this node: the node was cut off longer than the names' time to live and
// another node took the name meanwhile (cluster.Names.Run calls it). The
// user is told the name is taken (RefusalText(ErrNameTaken)) and their
// connection closes; their room gets the leave lines. Safe from any
// goroutine with no engine lock held.
func (h *Hub) NameLost(key string) {
	h.mu.RLock()
	s := h.users[key]
	h.mu.RUnlock()
	if s == nil {
		return
	}
	h.log.Warn("logged out", "user", LogName(s.name), "door", s.door, "addr", s.addr, "reason", "name held on another node")
	s.Notify(RefusalText(ErrNameTaken))
	s.Close()
}

// createShared records the room rec in the cluster, if there is one,
// under createMu with no other lock held. It returns the record of the
// room another node created first, and whether there was one.
func (h *Hub) createShared(ctx context.Context, rec RoomRecord) (had RoomRecord, exists bool, err error) {
	if h.cluster == nil {
		return RoomRecord{}, false, nil
	}
	had, err = h.cluster.CreateRoom(ctx, rec)
	if errors.Is(err, ErrRoomExists) {
		return had, true, nil
	}
	return RoomRecord{}, false, err
}

// RemoteRoom adds the room rec that another node created (the cluster's
// watcher calls it with every room, this node's own too), unless the hub
// has a room of that folded name already. It takes createMu, so a
// creation on its way here finishes first. Safe from any goroutine with
// no engine lock held.
func (h *Hub) RemoteRoom(rec RoomRecord) {
	h.createMu.Lock()
	defer h.createMu.Unlock()
	if r, _, _ := h.lookupRoom(Fold(rec.Name), h.now()); r != nil {
		return
	}
	h.addRemote(rec)
}

// addRemote adds the room rec another node created; the caller holds
// createMu.
func (h *Hub) addRemote(rec RoomRecord) *room {
	h.mu.Lock()
	r := h.addRoom(rec.Name, Fold(rec.Creator), rec.Created)
	h.mu.Unlock()
	h.rosterAll()
	return r
}
