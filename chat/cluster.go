package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
		h.mu.Lock()
		placeholder := r.creator == "" && rec.Creator != "" // added by roomFor
		if placeholder {
			r.creator, r.created = Fold(rec.Creator), rec.Created
			r.roster.Store(nil)
		}
		h.mu.Unlock()
		if placeholder {
			h.rosterRoom(r)
		}
		return
	}
	h.addRemote(rec)
}

// knownRoom returns the room called name, or nil if the hub has none.
func (h *Hub) knownRoom(name string) *room {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rooms[Fold(name)]
}

// roomFor returns the room called name for a line or roster event that
// came through the cluster, adding it if this node has not heard of the
// room yet. The room's record is in the cluster before anything is said
// or done in it, but the rooms' watcher may tell this node after the
// stream does (two nodes racing to create it, a loaded node): dropping
// the event would lose a member from /users or a line from the history
// for good. Its creator and the rest come with the record (RemoteRoom).
// It takes createMu, so a creation on its way here finishes first.
func (h *Hub) roomFor(name string) *room {
	h.createMu.Lock()
	defer h.createMu.Unlock()
	if r, _, _ := h.lookupRoom(Fold(name), h.now()); r != nil {
		return r
	}
	h.log.Info("room known from its lines first", "room", LogName(name))
	return h.addRemote(RoomRecord{Name: name, Created: h.now()})
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

// Slice 4: room lines through the cluster (cluster/DESIGN.md, "Order").

// Line is one line to a room as the nodes share it: a user's message or
// action (KindChat) or a plugin's line (KindBot). Every node's consumer
// gets each once, in the cluster's one order, and gives it to Hub.Deliver.
type Line struct {
	Kind   Kind      `json:"k"`
	Room   string    `json:"r"`
	From   string    `json:"f"`
	Text   string    `json:"t"`
	Time   time.Time `json:"at"`
	Action bool      `json:"a,omitempty"`
	Note   *Note     `json:"n,omitempty"`
	Node   string    `json:"o,omitempty"` // the node it was said on; set by the cluster
	// Roster, for a roster event (no line), is RosterEnter or RosterLeave:
	// the session ID, user From, entered or left Room.
	Roster string `json:"e,omitempty"`
	ID     string `json:"i,omitempty"`
}

// The roster events (Line.Roster).
const (
	RosterEnter = "enter"
	RosterLeave = "leave"
	// RosterGone: the session (Line.ID, its node's and its own id) left
	// because its node is gone (Hub.Gone).
	RosterGone = "gone"
)

// ClusterLines is the part of a Cluster that carries room lines (slice
// 4). A Config.Cluster that has it sends every line to a room through it
// and this hub fans out only what Deliver is given; one without it
// (the rooms and names only) leaves the lines each node's own.
type ClusterLines interface {
	// Publish records l in the cluster's one order and returns its
	// sequence there once the cluster confirmed it; every node's
	// consumer (this one's too) then calls Hub.Deliver with it. A user's
	// line (KindChat) while the node is cut off from the cluster is
	// refused, once it waited a moment for the connection, with an error
	// wrapping ErrCutOff, never handed on; anything else, and a line handed on before the connection
	// was lost, waits for the connection and its confirmation until ctx
	// is done. First caller: Session.say.
	Publish(ctx context.Context, l Line) (seq uint64, err error)
}

// publishTimeout bounds how long a line waits to be confirmed before its
// sender is told it was not delivered: a line handed to the cluster just
// before the node was cut off is held that long for the connection to
// come back (cluster/DESIGN.md, "Reconnect"), so a say never waits
// longer, and a user's lines never queue behind it (the session reads
// its next line once say returned).
const publishTimeout = 10 * time.Second

// sayShared publishes what s said in r (say's cluster path, with no lock
// held): the members, s among them, get it from Deliver. Once confirmed,
// the mentions are kept and the plugins hear of it, here only.
func (h *Hub) sayShared(ctx context.Context, s *Session, r *room, text string, action bool) {
	l := Line{Kind: KindChat, Room: r.name, From: s.name, Text: text, Time: h.now(), Action: action}
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	seq, err := h.lines.Publish(pctx, l)
	defer cancel()
	if errors.Is(err, ErrCutOff) {
		s.Notify(TextNotSent)
		return
	}
	if err != nil {
		h.log.Warn("message not delivered", "user", LogName(s.name), "room", LogName(r.name), "err", err)
		s.Notify(TextNotDelivered)
		return
	}
	h.delivered.wait(pctx, seq) // the sender's next command (/history) sees it
	m := Message{Room: r.name, From: s.name, Text: text, Time: l.Time, Seq: seq, Action: action}
	if !action {
		h.mu.RLock()
		h.keepMentions(r, m)
		h.mu.RUnlock()
	}
	h.hook(func(b *Bot) { b.plugin.MessageReceived(ctx, b, m) })
}

// broadcastShared publishes ev, a plugin's line to r (Bot.broadcast's
// cluster path, with no lock held).
func (h *Hub) broadcastShared(r *room, ev *Event) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	l := Line{Kind: KindBot, Room: r.name, From: ev.From, Text: ev.Text, Time: ev.Time, Note: ev.Note}
	if _, err := h.lines.Publish(ctx, l); err != nil {
		h.log.Warn("plugin line not delivered", "plugin", ev.From, "room", LogName(r.name), "err", err)
	}
}

// Deliver gives the room line l, numbered seq in the cluster's order, to
// this node (the cluster's consumer calls it, one line at a time, in that
// order). A message is kept in the room's history and the store unless
// the room has it already (seq no later than its last: a restart reading
// the stream again); if live, it is fanned out to the room's members on
// this node, as say does on a single node, under the room's lock: the
// members who ignore its sender get nothing, and its sender, if mine (it
// was said on this node) and on a line door, is not echoed. A plugin's
// line is only fanned out, if live. A message or roster event of a room
// this node has not heard of yet adds the room (roomFor); a plugin's line
// to it has no one to reach and is dropped. Safe from any goroutine with
// no engine lock held.
func (h *Hub) Deliver(l Line, seq uint64, mine, live bool) {
	if h.knownRoom(l.Room) == nil && (l.Roster != "" || l.Kind == KindChat) {
		h.roomFor(l.Room) // a plugin's line to a room no one here knows has no one to reach
	}
	if l.Roster != "" {
		h.mu.Lock()
		r := h.rooms[Fold(l.Room)]
		if r != nil {
			h.applyRoster(r, l, seq)
		}
		h.mu.Unlock()
		if r != nil {
			h.rosterRoom(r)
		}
		h.delivered.reach(seq)
		return
	}
	h.mu.RLock()
	r := h.rooms[Fold(l.Room)]
	if r == nil {
		h.mu.RUnlock()
		h.delivered.reach(seq)
		return
	}
	t0 := h.fanOutTimer()
	n, held := 0, false
	r.mu.Lock()
	switch l.Kind {
	case KindChat:
		if seq <= r.seq.Load() {
			break
		}
		ev := &Event{Kind: KindChat, Room: r.name, From: l.From, Text: l.Text, Time: l.Time, Seq: seq, Action: l.Action}
		r.seq.Store(seq)
		if live {
			var skip *Session
			if s := h.users[Fold(l.From)]; mine && s != nil && !s.roster {
				skip = s
			}
			from := ""
			if h.ignoring > 0 {
				from = Fold(l.From)
			}
			n, held = r.fanOutFrom(ev, skip, from), true
		}
		r.remember(ev, h.historyLen)
		h.store.AppendMessage(Message{Room: r.name, From: l.From, Text: l.Text, Time: l.Time, Seq: seq, Action: l.Action})
	case KindBot:
		if live {
			r.fanOut(&Event{Kind: KindBot, Room: r.name, From: l.From, Text: l.Text, Time: l.Time, Note: l.Note}, nil)
			held = true
		}
	}
	r.mu.Unlock()
	h.mu.RUnlock()
	if held {
		r.wakes.Run()
	}
	h.delivered.reach(seq)
	if n > 0 {
		h.fannedOut(t0, n)
	}
}

// seqWait is how far this node's consumer got (Deliver), for senders
// waiting until their own line is delivered here.
type seqWait struct {
	mu  sync.Mutex
	seq uint64        // the last line delivered
	ch  chan struct{} // closed at the next delivery; nil while nobody waits
}

// reach records that the line seq was delivered, waking the waiters.
func (w *seqWait) reach(seq uint64) {
	w.mu.Lock()
	w.seq = max(w.seq, seq)
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
}

// wait returns once the line seq was delivered, or ctx is done.
func (w *seqWait) wait(ctx context.Context, seq uint64) {
	for {
		w.mu.Lock()
		if w.seq >= seq {
			w.mu.Unlock()
			return
		}
		if w.ch == nil {
			w.ch = make(chan struct{})
		}
		ch := w.ch
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// shareRoster tells the cluster, if it carries lines, that s entered (or
// left) r, after the local change and with no lock held; every node's
// consumer applies it (Deliver), in the stream's order, to r's shared
// list of members. A failure is logged: the other nodes' /users is wrong
// until the user moves again.
func (h *Hub) shareRoster(s *Session, r *room, event string) {
	if h.lines == nil || r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	l := Line{Room: r.name, From: s.name, Time: h.now(), Roster: event, ID: s.rid}
	if _, err := h.lines.Publish(ctx, l); err != nil {
		h.log.Warn("roster not shared", "user", LogName(s.name), "room", LogName(r.name), "event", event, "err", err)
	}
}

// sharedMember is a member of a room on some node, as the roster events
// said, in the order they entered.
type sharedMember struct {
	name  string // as they logged in
	id    string // the node's and session's id (Line.Member)
	enter uint64 // the stream sequence of their enter event
}

// Member returns the id of the session a roster event is about, the same
// on every node: its node's name and its id there ("node/id"). A gone
// event carries it whole in ID, as it is about another node's session.
func (l Line) Member() string {
	if l.Roster == RosterGone {
		return l.ID
	}
	return l.Node + "/" + l.ID
}

// applyRoster applies the roster event l, numbered seq in the stream, to
// r's shared members; the caller holds h.mu for writing. An enter already
// applied, or a leave of someone not there, changes nothing; a later
// enter of a member there (its leave in between is gone from the stream:
// a consumer that caught up late) puts them last.
func (h *Hub) applyRoster(r *room, l Line, seq uint64) {
	id := l.Member()
	i := slices.IndexFunc(r.shared, func(m sharedMember) bool { return m.id == id })
	switch {
	case l.Roster == RosterEnter && i >= 0 && seq > r.shared[i].enter:
		r.shared = append(slices.Delete(r.shared, i, i+1), sharedMember{name: l.From, id: id, enter: seq})
	case l.Roster == RosterEnter && i < 0 && len(r.shared) < maxShared:
		r.shared = append(r.shared, sharedMember{name: l.From, id: id, enter: seq})
	case (l.Roster == RosterLeave || l.Roster == RosterGone) && i >= 0:
		r.shared = slices.Delete(r.shared, i, i+1)
	default:
		return
	}
	r.roster.Store(nil)
	h.roomList.Store(nil)
}

// SharedMember is a member of a room as this node's roster says
// (SharedMembers): the room, the member's id (Line.Member) and the stream
// sequence of their enter.
type SharedMember struct {
	Room, ID string
	Entered  uint64
}

// SharedMembers returns the members of every room as this node's roster
// says, for the cluster to check against the stream after the node was
// cut off (cluster.Lines.RunRecheck). Safe with no engine lock held.
func (h *Hub) SharedMembers() []SharedMember {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []SharedMember
	for _, r := range h.order {
		for _, m := range r.shared {
			out = append(out, SharedMember{Room: r.name, ID: m.id, Entered: m.enter})
		}
	}
	return out
}

// DropShared takes m out of its room's shared members, if they are still
// there with the same enter: the stream no longer has that enter as their
// last roster event (they left, or entered again, while this node was cut
// off and the leave's time in the stream ran out), so the consumer may
// never tell this node. Safe with no engine lock held.
func (h *Hub) DropShared(m SharedMember) {
	h.mu.Lock()
	r := h.rooms[Fold(m.Room)]
	changed := false
	if r != nil {
		if i := slices.IndexFunc(r.shared, func(s sharedMember) bool { return s.id == m.ID && s.enter == m.Entered }); i >= 0 {
			r.shared = slices.Delete(r.shared, i, i+1)
			r.roster.Store(nil)
			h.roomList.Store(nil)
			changed = true
		}
	}
	h.mu.Unlock()
	if changed {
		h.rosterRoom(r)
	}
}

// maxShared bounds a room's shared members (room.shared).
const maxShared = 100_000

// sharedOrder returns the members of r on every node, in the order the
// stream put their entries, each once: this node's as their sessions,
// the others' as stand-ins with their names; then this node's members
// whose entry has not come back through the stream yet. The caller holds
// h.mu.
func (h *Hub) sharedOrder(r *room) []*Session {
	out := make([]*Session, 0, len(r.shared)+len(r.members))
	seen := make(map[string]bool, len(r.shared)+len(r.members))
	for _, m := range r.shared {
		key := Fold(m.name)
		if seen[key] {
			continue
		}
		seen[key] = true
		s := h.users[key]
		if s == nil || s.room != r {
			s = &Session{name: m.name, key: key, sks: skeletons(key)}
		}
		out = append(out, s)
	}
	for _, s := range r.members {
		if !seen[s.key] {
			seen[s.key] = true
			out = append(out, s)
		}
	}
	return out
}

// Departure is a member of a room whose session is gone without leaving
// (its node died, or restarted): Line is the gone event that takes them
// out (RosterGone), Entered the stream sequence of their enter event,
// which must still be their session's last roster event when the gone
// event is recorded, so that of the nodes that notice, one records it.
type Departure struct {
	Line    Line
	Entered uint64
}

// departure is the gone event of m, a member of r.
func (h *Hub) departure(r *room, m sharedMember) Departure {
	return Departure{Line: Line{Room: r.name, From: m.name, Time: h.now(), Roster: RosterGone, ID: m.id}, Entered: m.enter}
}

// Gone returns the departure of the member on another node whose folded
// name is folded, once that node is gone (its names ran out of their time
// to live: cluster.Lines.RunGone), and false if no room has such a
// member. Safe with no engine lock held.
func (h *Hub) Gone(folded string) (Departure, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if s := h.users[folded]; s != nil {
		return Departure{}, false // here, alive
	}
	for _, r := range h.order {
		for _, m := range r.shared {
			if Fold(m.name) == folded {
				return h.departure(r, m), true
			}
		}
	}
	return Departure{}, false
}

// Departed returns the departures of the shared members whose sessions
// are gone though no node said so: those of node, this node's name, that
// are no session of this hub (the node restarted after it died, before
// their names ran out of their time to live), and those of other nodes
// that alive says are not (a node that died while no other ran). The
// cluster calls it once the stream's roster has been read at start, and
// records the departures (cluster.Lines.Sweep). alive is called with the
// member's node and folded name, with no engine lock held. Safe with no
// engine lock held.
func (h *Hub) Departed(node string, alive func(node, folded string) bool) []Departure {
	type member struct {
		d    Departure
		node string
	}
	var others []member
	var out []Departure
	h.mu.RLock()
	for _, r := range h.order {
		for _, m := range r.shared {
			i := strings.LastIndexByte(m.id, '/')
			if i < 0 {
				continue
			}
			on, sid := m.id[:i], m.id[i+1:]
			if on != node {
				others = append(others, member{h.departure(r, m), on})
				continue
			}
			if s := h.users[Fold(m.name)]; s == nil || s.rid != sid || s.room != r {
				out = append(out, h.departure(r, m))
			}
		}
	}
	h.mu.RUnlock()
	for _, o := range others {
		if !alive(o.node, Fold(o.d.Line.From)) {
			out = append(out, o.d)
		}
	}
	return out
}

// LeftElsewhere runs the plugins' leave hooks for the user called name who
// left room on a node that is gone (cluster.Lines.RunGone, on one node
// only), so that room gets their leave line once. No lock is held.
func (h *Hub) LeftElsewhere(name, room string) {
	ctx := context.Background()
	h.hook(func(b *Bot) { b.plugin.UserLeft(ctx, b, User{Name: name, Room: room}) })
}
