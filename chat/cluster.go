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
	if err == nil {
		return release, nil
	}
	h.mu.Lock()
	if c.bound {
		h.unbind(s.key)
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
