package chat_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// sharedNames stands in for the cluster's names bucket (cluster.Names):
// a name is held by one node at a time, as often as that node likes.
type sharedNames struct {
	mu     sync.Mutex
	holder map[string]string            // folded name → node
	holds  map[string]int               // folded name → holds not released
	down   bool                         // the cluster is out of reach
	owned  bool                         // BindName: another node's key bound the name first
	rights map[string]chat.SharedRights // folded room → its rights (UpdateRights)
	rev    uint64                       // the last revision of rights
}

// node returns the chat.Cluster of the node called name.
func (sn *sharedNames) node(name string) chat.Cluster { return nodeNames{sn, name} }

// held reports who holds key and how often.
func (sn *sharedNames) held(key string) (string, int) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.holder[key], sn.holds[key]
}

type nodeNames struct {
	sn   *sharedNames
	node string
}

func (n nodeNames) HoldName(_ context.Context, key string) (func(context.Context) error, error) {
	sn := n.sn
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.down {
		return nil, errors.New("no servers available")
	}
	if h, ok := sn.holder[key]; ok && h != n.node {
		return nil, fmt.Errorf("hold name %s: %w", key, chat.ErrNameTaken)
	}
	sn.holder[key] = n.node
	sn.holds[key]++
	var once sync.Once
	return func(context.Context) error {
		once.Do(func() {
			sn.mu.Lock()
			defer sn.mu.Unlock()
			if sn.holds[key]--; sn.holds[key] == 0 {
				delete(sn.holder, key)
			}
		})
		return nil
	}, nil
}

// CreateRoom shares no rooms: each node's are its own.
func (n nodeNames) CreateRoom(_ context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	return r, nil
}

// Remote finds nobody on another node: each node's users are its own.
func (n nodeNames) Remote(context.Context, chat.RemoteRequest) (chat.RemoteReply, error) {
	return chat.RemoteReply{}, chat.ErrNotFound
}

// BindName shares no bindings; it refuses new ones while sn.owned.
func (n nodeNames) BindName(_ context.Context, rec chat.NameRecord, bound bool, _ time.Time) error {
	n.sn.mu.Lock()
	defer n.sn.mu.Unlock()
	if bound && n.sn.owned {
		return fmt.Errorf("bind name %s: %w", rec.Name, chat.ErrNameOwned)
	}
	return nil
}

// SavePassword shares no passwords.
func (n nodeNames) SavePassword(context.Context, chat.PasswordRecord, bool) error { return nil }

// SaveServerBan shares no server bans.
func (n nodeNames) SaveServerBan(context.Context, chat.ServerBanRecord) error { return nil }

// DeleteServerBan shares no server bans.
func (n nodeNames) DeleteServerBan(context.Context, string) error { return nil }

// OfflineStore leaves offline delivery to each node's store.
func (n nodeNames) OfflineStore() chat.OfflineStore { return nil }

// TestClusterNames has two hubs share their names online through a
// Cluster: a name online on one is refused on the other until it logs
// out, a proven login replacing a session on its own node keeps the name
// the node's, and a cluster out of reach refuses the login and leaves the
// name free.
func TestClusterNames(t *testing.T) {
	t.Parallel()
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	a := chattest.NewHub(t, chat.Config{Cluster: sn.node("a")})
	b := chattest.NewHub(t, chat.Config{Cluster: sn.node("b")})
	login := func(h *chat.Hub, proven bool) (*chat.Session, error) {
		return h.Login(t.Context(), "Mike", chat.LoginOptions{Door: "test", Proven: proven, Outbox: chat.NewOutbox(0)})
	}

	first, err := login(a, false)
	if err != nil {
		t.Fatalf("login on a: %v", err)
	}
	if _, err := login(b, false); !errors.Is(err, chat.ErrNameTaken) {
		t.Fatalf("login on b while a has the name = %v, want ErrNameTaken", err)
	}
	if node, n := sn.held(chat.Fold("mike")); node != "a" || n != 1 {
		t.Fatalf("mike held by %q %d times, want a once (b's refusal let go of nothing)", node, n)
	}

	second, err := login(a, true) // replaces first on a
	if err != nil {
		t.Fatalf("proven login on a: %v", err)
	}
	if node, n := sn.held(chat.Fold("mike")); node != "a" || n != 1 {
		t.Errorf("after the replacement mike is held by %q %d times, want a once", node, n)
	}
	first.Close() // replaced already: lets go of nothing more
	if _, err := login(b, false); !errors.Is(err, chat.ErrNameTaken) {
		t.Fatalf("login on b after a's replacement = %v, want ErrNameTaken", err)
	}

	second.Close()
	if node, n := sn.held(chat.Fold("mike")); node != "" || n != 0 {
		t.Fatalf("after logout mike is held by %q %d times, want free", node, n)
	}
	onB, err := login(b, false)
	if err != nil {
		t.Fatalf("login on b once a let go: %v", err)
	}
	onB.Close()

	sn.mu.Lock()
	sn.down = true
	sn.mu.Unlock()
	if _, err := login(a, false); !errors.Is(err, chat.ErrStore) {
		t.Fatalf("login with the cluster out of reach = %v, want ErrStore", err)
	}
	sn.mu.Lock()
	sn.down = false
	sn.mu.Unlock()
	s, err := login(a, false)
	if err != nil {
		t.Fatalf("login once the cluster is back (the refused one left the name free): %v", err)
	}
	s.Close()
}

// TestNameLost: when the cluster reports a name lost to another node, the
// hub's session of it is told the name is taken and logged out, and a name
// nobody has on the hub costs nothing.
func TestNameLost(t *testing.T) {
	t.Parallel()
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	h := chattest.NewHub(t, chat.Config{Cluster: sn.node("a")})
	mike, anna := chattest.Login(t, h, "Mike"), chattest.Login(t, h, "anna")
	chattest.Lines(mike)
	chattest.Lines(anna)

	h.NameLost(chat.Fold("nobody"))
	h.NameLost(chat.Fold("mike"))
	got := chattest.Lines(mike)
	if want := "<system> " + chat.RefusalText(chat.ErrNameTaken) + "\n"; len(got) == 0 || got[len(got)-1] != want {
		t.Errorf("Mike was sent %q, want it to end with %q", got, want)
	}
	if !mike.Outbox().Closed() {
		t.Error("Mike's outbox is open: his connection would stay")
	}
	if n := h.Online(); n != 1 {
		t.Errorf("%d users online, want anna only", n)
	}
	if node, n := sn.held(chat.Fold("mike")); node != "" || n != 0 {
		t.Errorf("after the loss mike is held by %q %d times, want the node's hold released", node, n)
	}
}

// TestClusterBindingRefused: a new binding the cluster refuses (another
// node's key bound the name first) undoes the login as a failed store
// write does, with the owned line, and leaves the name free and unbound
// here; the other node's binding, once the watcher brings it, is kept.
func TestClusterBindingRefused(t *testing.T) {
	t.Parallel()
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}, owned: true}
	h := chattest.NewHub(t, chat.Config{Cluster: sn.node("a")})
	_, err := h.Login(t.Context(), "Mike", chat.LoginOptions{Door: "test", KeyID: "SHA256:mine", Outbox: chat.NewOutbox(0)})
	if !errors.Is(err, chat.ErrNameOwned) || chat.RefusalText(err) != chat.RefusalText(chat.ErrNameOwned) {
		t.Fatalf("login whose binding the cluster refused = %v, want ErrNameOwned", err)
	}
	if id, _ := h.Protection("mike"); id != "" || h.Online() != 0 {
		t.Fatalf("after the refusal mike is bound to %q with %d online, want unbound and nobody", id, h.Online())
	}
	if node, n := sn.held(chat.Fold("mike")); node != "" || n != 0 {
		t.Fatalf("after the refusal mike is held by %q %d times, want free", node, n)
	}
	h.RemoteBinding(chat.NameRecord{Name: "mike", KeyID: "SHA256:theirs", LastUsed: time.Now()})
	if id, _ := h.Protection("Mike"); id != "SHA256:theirs" {
		t.Fatalf("mike bound to %q after the remote binding, want SHA256:theirs", id)
	}
	_, err = h.Login(t.Context(), "mike", chat.LoginOptions{Door: "test", KeyID: "SHA256:mine", Outbox: chat.NewOutbox(0)})
	if !errors.Is(err, chat.ErrNameOwned) {
		t.Fatalf("login with another key = %v, want ErrNameOwned", err)
	}
}

// UpdateRights keeps each room's rights in sn, one revision after another.
func (n nodeNames) UpdateRights(_ context.Context, room string, change func(*chat.SharedRights) error) (chat.SharedRights, error) {
	sn := n.sn
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.rights == nil {
		sn.rights = map[string]chat.SharedRights{}
	}
	r, ok := sn.rights[chat.Fold(room)]
	if !ok {
		r = chat.SharedRights{Room: room}
	}
	r.Admins, r.Invites = slices.Clone(r.Admins), slices.Clone(r.Invites)
	if err := change(&r); err != nil {
		return chat.SharedRights{}, err
	}
	sn.rev++
	r.Rev = sn.rev
	sn.rights[chat.Fold(room)] = r
	return r, nil
}

// SaveBan, DeleteBan, SaveMute and DeleteMute keep nothing: each node's
// memory is its record.
func (n nodeNames) SaveBan(context.Context, chat.BanRecord) (uint64, error)   { return 0, nil }
func (n nodeNames) DeleteBan(context.Context, string, string) (uint64, error) { return 0, nil }
func (n nodeNames) SaveMute(context.Context, chat.MuteRecord) (uint64, error) { return 0, nil }
func (n nodeNames) DeleteMute(context.Context, string, string) (uint64, error) {
	return 0, nil
}
