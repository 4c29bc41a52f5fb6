package chat

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRoom is the room everyone starts in. It has no creator and so no admin.
const DefaultRoom = "chat"

// DefaultHistoryLen is how many recent messages each room keeps in memory
// for /history and for a screen that enters the room.
const DefaultHistoryLen = 200

// Config is what a Hub is built from.
type Config struct {
	Store      Store        // persistence; required (chat/store.NewMemory for none)
	Plugins    []Plugin     // registered in order; their names are reserved
	Logger     *slog.Logger // nil: discard
	Now        func() time.Time
	HistoryLen int // messages per room kept in memory; DefaultHistoryLen if 0
	MaxRooms   int // rooms there may be, DefaultRoom included; DefaultMaxRooms if 0
	// RoomsPerHour is how many rooms one name, and one source address, may
	// create within an hour; 0: no limit.
	RoomsPerHour int
	// RoomExpiry removes a room that has been empty, without topic, bans or
	// messages, for that long (see Hub.sweep); 0: rooms are never removed.
	RoomExpiry time.Duration

	NamesPerKey int           // names one SSH key may own; 0: no limit
	NameExpiry  time.Duration // a name binding unused this long lapses; 0: never

	// ObserveFanOut, if set, is given how long each room message took from
	// the engine's taking it to the end of its fan-out (every member's line
	// queued, their writers woken). Called on the sender's goroutine with
	// no lock held; it must not block (a Prometheus histogram's Observe).
	ObserveFanOut func(time.Duration)

	// Cluster, if set, makes this hub one node of several sharing one
	// server (cluster.go); nil: a single node.
	Cluster Cluster
}

// DefaultMaxRooms caps the rooms of a hub. Each keeps up to HistoryLen
// messages in memory (~175 KB when full of long messages), and only idle
// rooms expire, so without a cap one client could exhaust memory and disk.
const DefaultMaxRooms = 1000

// Defaults of the settings that bound what one person can claim; the
// zero values of Config turn them off.
const (
	DefaultRoomsPerHour = 5
	DefaultRoomExpiry   = 30 * 24 * time.Hour
)

// Hub is the chat engine: rooms, who is where, admins, bans and commands.
// It owns all of that state behind the locks CONCURRENCY.md lists, never
// held while plugin code runs or anything blocks; fan-out only queues on
// sessions' outboxes, each room's lines in the room's one order. All
// methods are safe for concurrent use.
type Hub struct {
	log        *slog.Logger
	store      Store
	now        func() time.Time
	historyLen int
	maxRooms   int
	bots       []*Bot
	commands   map[string]*Bot // plugin commands by lower-case name
	reserved   map[string]bool // folded names nobody may log in with
	help       string
	rosterEv   *Event // the one KindRoster event, shared

	usage map[string]string // the /help COMMAND line of each command (help.go)

	createMu sync.Mutex     // serialises room creation and removal, whose store writes run outside mu
	rightsMu sync.Mutex     // serialises changes of room rights (rights.go), bans and mutes, whose store writes run outside mu
	created  *creationLimit // rooms created lately per name and address
	expiry   time.Duration  // Config.RoomExpiry
	slow     SlowClients
	stats    Stats

	observeFanOut func(time.Duration) // Config.ObserveFanOut

	roomList atomic.Pointer[[]RoomInfo] // Rooms' shared list; nil after a change

	mu      sync.RWMutex
	rooms   map[string]*room    // by folded name
	order   []*room             // creation order, DefaultRoom first
	users   map[string]*Session // by folded name, online users
	rosterN int                 // sessions that want KindRoster events
	muteGen uint64              // counts changes of any room's mutes (room.muteGen)
	closing bool

	ignoring int // guarded by mu: the sessions online that ignore someone (ignore.go)

	// Names and look-alikes (binding.go, lookalike.go); guarded by mu but
	// reservedLike, which is built by New.
	reservedLike lookalikes            // skeletons of the reserved names
	namesPerKey  int                   // Config.NamesPerKey
	nameExpiry   time.Duration         // Config.NameExpiry
	owners       map[string]NameRecord // folded name → its binding to an SSH key
	keyNames     map[string][]string   // SSH key fingerprint → folded names it owns
	binds        recentTimes           // new bindings per source address within the hour (BindsPerAddrHour)
	ownedLike    lookalikes            // skeletons of the names in owners
	online       lookalikes            // skeletons of the names in users
	roomLike     lookalikes            // skeletons of the rooms' names
	untold       map[string][]*room    // folded name → rooms it was invited to and not told yet (rights.go)

	gbans []serverBan              // bans from the server (/gban), in the order made; guarded by mu (serverban.go)
	motd  atomic.Pointer[[]string] // the message of the day's lines (motd.go); nil for none
	isOp  func(keyID string) bool  // the operators file's last reload (operator.go); guarded by mu

	pw *passwords // names' passwords (password.go)

	cluster    Cluster       // Config.Cluster; nil for a single node
	lines      ClusterLines  // Config.Cluster's lines, if it carries them; nil: each node's own
	sessionIDs atomic.Uint64 // the last Session.rid given, from a clock reading at New
	// delivered is how far the cluster's lines were delivered here (Deliver).
	delivered seqWait
}

// room is one chat room.
type room struct {
	name    string
	creator string // folded name of the creator, "" for none
	created time.Time
	lastMsg atomic.Int64 // when the last message was said, Unix nanoseconds; 0 for none

	// Guarded by Hub.mu.
	gone    bool // removed by sweep: nobody may enter it any more
	bans    named[BanRecord]
	mutes   named[MuteRecord]
	muteGen uint64                   // Hub.muteGen when mutes last changed; 0 for never (and no mutes)
	timer   *time.Timer              // runs endTimed when the next timed ban or mute ends; nil for none
	timerAt time.Time                // when timer fires
	members []*Session               // in the order they entered
	shared  []sharedMember           // with a cluster's lines: the members on every node, in the stream's order (cluster.go)
	topic   string                   // "" for none
	locked  bool                     // invite-only (/lock)
	admins  map[string]AdminRecord   // names made admin with /op, by folded name
	invites map[string]*InviteRecord // names invited while locked, by folded name
	roster  atomic.Pointer[[]Member] // members as Members returns them; nil after a change

	// rightsRev is the revision of the cluster's record of the room's
	// rights put in (RemoteRights); 0 for none. timedRevs, the revisions of
	// its bans and mutes put in (room.fresh). Guarded by Hub.mu.
	rightsRev uint64
	timedRevs map[string]uint64

	// mu gives the room its one order: a line is numbered, fanned out,
	// kept in hist and queued for the store under it, in that order, so
	// every member, /history and the store see the same sequence.
	mu    sync.Mutex
	seq   atomic.Uint64 // the last message's number, 0 for none; written under mu
	hist  []*Event      // ring of the last historyLen messages
	next  int
	wakes Wakes // the members' wake-ups, held during a fan-out
}

// keepsOut returns the ban that keeps s out of r at now, if any: a ban of
// its name or of a look-alike of it, or of the SSH key it logged in with.
// An admin or an operator is never kept out, whatever old data says, and
// nobody is kept out of DefaultRoom, where a kick or a ban sends them. The
// caller holds Hub.mu.
func (r *room) keepsOut(s *Session, now time.Time) (BanRecord, bool) {
	if len(r.bans.recs) == 0 || s.operator || r.isAdmin(s.key) || Fold(r.name) == Fold(DefaultRoom) {
		return BanRecord{}, false
	}
	if ban, _, ok := r.bans.find(s.sks, s.key, now); ok {
		return ban, true
	}
	if s.keyID != "" {
		for _, ban := range r.bans.recs {
			if ban.KeyID == s.keyID && live(ban, now) {
				return ban, true
			}
		}
	}
	return BanRecord{}, false
}

// systemCommands are the engine's own commands, in /help order.
var systemCommands = [...]string{"leave", "room", "switch", "history", "me", "away", "back", "whois", "ignore", "unignore", "motd", "password"}

// New builds a hub from cfg, loading the durable state from cfg.Store.
func New(ctx context.Context, cfg Config) (*Hub, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("new hub: no store")
	}
	h := &Hub{
		log:        cfg.Logger,
		store:      cfg.Store,
		now:        cfg.Now,
		historyLen: cfg.HistoryLen,
		commands:   map[string]*Bot{},
		reserved:   map[string]bool{Fold(SystemName): true},
		rooms:      map[string]*room{},
		users:      map[string]*Session{},
		untold:     map[string][]*room{},
		rosterEv:   &Event{Kind: KindRoster},
		created:    newCreationLimit(cfg.RoomsPerHour),
		expiry:     max(cfg.RoomExpiry, 0),
		pw:         newPasswords(),
	}
	h.observeFanOut = cfg.ObserveFanOut
	h.cluster = cfg.Cluster
	h.lines, _ = cfg.Cluster.(ClusterLines)
	h.sessionIDs.Store(uint64(time.Now().UnixNano()))
	h.initNames(cfg)
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.historyLen <= 0 {
		h.historyLen = DefaultHistoryLen
	}
	if h.maxRooms = cfg.MaxRooms; h.maxRooms <= 0 {
		h.maxRooms = DefaultMaxRooms
	}
	if err := h.register(cfg.Plugins); err != nil {
		return nil, err
	}
	snap, err := cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	h.addRoom(DefaultRoom, "", time.Time{})
	for _, r := range snap.Rooms {
		if Fold(r.Name) == Fold(DefaultRoom) {
			continue // recorded for its topic only (RightsStore.SetTopic)
		}
		if old := h.rooms[Fold(r.Name)]; old != nil {
			// Two rooms that fold together since names are normalised.
			h.log.Warn("room not loaded: same name as an earlier one", "room", r.Name, "kept", old.name)
			continue
		}
		h.addRoom(r.Name, Fold(r.Creator), r.Created)
	}
	h.loadTimed(ctx, snap)
	h.loadNames(snap.Names)
	if err := h.loadPasswords(ctx); err != nil {
		return nil, err
	}
	rights, err := cfg.Store.LoadRights(ctx)
	if err != nil {
		return nil, fmt.Errorf("load room rights: %w", err)
	}
	h.loadRights(rights)
	h.loadServerBans(ctx, snap.ServerBans)
	for _, r := range h.order {
		msgs, err := cfg.Store.History(ctx, r.name, math.MaxUint64, h.historyLen)
		if err != nil {
			return nil, fmt.Errorf("load history of %s: %w", r.name, err)
		}
		for _, m := range msgs {
			r.remember(&Event{Kind: KindChat, Room: r.name, From: m.From, Text: m.Text, Time: m.Time, Seq: m.Seq, Action: m.Action}, h.historyLen)
		}
		if len(msgs) > 0 {
			r.seq.Store(msgs[len(msgs)-1].Seq) // the room's order goes on where it stopped
		}
	}
	h.sweep(ctx, h.now())
	h.pruneOffline(ctx)
	return h, nil
}

func (h *Hub) register(plugins []Plugin) error {
	var help strings.Builder
	help.WriteString("\n\tsystem:\n")
	for i, c := range systemCommands {
		fmt.Fprintf(&help, "\t\t%d. /%s\n", i+1, c)
	}
	taken := map[string]bool{"help": true}
	for _, c := range systemCommands {
		taken[c] = true
	}
	h.reservedLike.add(skeletons(Fold(SystemName)), Fold(SystemName))
	for _, p := range plugins {
		name := p.Name()
		if CheckName(name) != nil || h.reserved[Fold(name)] {
			return fmt.Errorf("register plugin %q: bad or duplicate name", name)
		}
		if _, like := h.reservedLike.find(skeletons(Fold(name)), Fold(name)); like {
			return fmt.Errorf("register plugin %q: looks like a reserved name", name)
		}
		b := &Bot{hub: h, name: name, plugin: p}
		h.bots = append(h.bots, b)
		h.reserved[Fold(name)] = true
		h.reservedLike.add(skeletons(Fold(name)), Fold(name))
		fmt.Fprintf(&help, "\t%s:\n", name)
		for i, c := range p.Commands() {
			c = strings.ToLower(c)
			if taken[c] {
				return fmt.Errorf("register plugin %q: command /%s is already taken", name, c)
			}
			taken[c] = true
			h.commands[c] = b
			fmt.Fprintf(&help, "\t\t%d. /%s\n", i+1, c)
		}
	}
	h.help = help.String()
	h.usage = h.usages()
	return nil
}

// addRoom adds a room to the in-memory state; the caller holds mu or owns h.
func (h *Hub) addRoom(name, creator string, created time.Time) *room {
	r := &room{name: name, creator: creator, created: created,
		admins: map[string]AdminRecord{}, invites: map[string]*InviteRecord{}}
	h.rooms[Fold(name)] = r
	h.roomLike.add(skeletons(Fold(name)), Fold(name))
	h.order = append(h.order, r)
	h.roomList.Store(nil)
	return r
}

// enter adds s to r's members; the caller holds mu for writing.
func (h *Hub) enter(r *room, s *Session) {
	r.members = append(r.members, s)
	r.roster.Store(nil)
	h.roomList.Store(nil)
}

// leave removes s from r's members; the caller holds mu for writing.
func (h *Hub) leave(r *room, s *Session) {
	if i := slices.Index(r.members, s); i >= 0 {
		r.members = slices.Delete(r.members, i, i+1)
	}
	r.roster.Store(nil)
	h.roomList.Store(nil)
}

// LoginOptions describe the connection a user logs in from.
type LoginOptions struct {
	Door   string  // "telnet" or "ssh", for logs
	Addr   string  // remote address, for logs
	KeyID  string  // SSH public key fingerprint, "" without a key
	Outbox *Outbox // where the session's events go; required
	Roster bool    // the door is a screen: it wants the events without a line, KindRoster and KindWhisperSent (the TUI does, lines do not)
	// Operator says the user logged in with a key of the operators file
	// (--ops-file): a server operator, an admin of every room. Only the
	// SSH door sets it, from the key the client proved.
	Operator bool
	// Proven says the door proved the name's password (Hub.CheckPassword).
	// A login with the SSH key that owns the name proves it too: the
	// engine finds that itself, under the lock that claims the name. A name with a
	// password is refused to a login neither proven nor with its owning
	// key (see password.go); a proven login of a name online replaces the
	// older session (ghost.go), an unproven one is refused with ErrNameTaken.
	Proven bool
}

// isReserved reports whether the name whose key is key (Fold) and
// skeletons sks is reserved, or looks like a reserved name. The reserved
// names are set by New and only read after it: no lock is needed.
func (h *Hub) isReserved(key string, sks skeletonSet) bool {
	_, like := h.reservedLike.find(sks, "")
	return like || h.reserved[key]
}

// login logs name in and puts it in DefaultRoom. The name is sanitised and
// normalised (Normalize) first; the session's name is that normal form. It
// returns an error wrapping one of ErrNameTooLong, ErrNameInvalid,
// ErrNameReserved, ErrNameTaken, ErrNameOwned, ErrTooManyNames (a
// *TooManyNamesError), ErrShutdown or ErrStore; RefusalText words it for
// the user. A name that looks like (shares a confusable skeleton with) a
// reserved name is reserved; one that looks like a name online or owned by
// an SSH key is taken. With a key, an unowned name is bound to it, unless
// the key owns Config.NamesPerKey names already; an owned name's binding
// is refreshed (see claim). On success the user has been sent "Logging in
// as NAME" and the plugins' join lines.
func (h *Hub) login(ctx context.Context, name string, opt LoginOptions) (*Session, error) {
	name, key, sks, err := loginName(name)
	if err != nil {
		return nil, err
	}
	if h.isReserved(key, sks) {
		return nil, ErrNameReserved
	}
	s := &Session{hub: h, name: name, key: key, sks: sks, door: opt.Door, addr: opt.Addr, keyID: opt.KeyID, operator: opt.Operator, out: opt.Outbox, roster: opt.Roster, since: h.now()}
	if h.lines != nil {
		s.rid = strconv.FormatUint(h.sessionIDs.Add(1), 36)
	}
	s.out.countDrops(&h.slow)
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	if h.isOp != nil { // granted or revoked by a reload since the door looked
		s.operator = opt.KeyID != "" && h.isOp(opt.KeyID)
	}
	if !s.operator && h.serverBanOf(key, sks, opt.KeyID, opt.Addr, h.now()) >= 0 { // operators are never kept out
		h.mu.Unlock()
		h.log.Info("login refused", "user", LogName(name), "door", opt.Door, "addr", opt.Addr, "reason", "banned from the server")
		return nil, ErrServerBanned
	}
	c, g, err := h.claimOver(s, opt, h.now()) // a proven login replaces the name's older session (ghost.go)
	if err == nil {
		h.users[key] = s // holds the name while the binding is written
		h.online.add(sks, key)
		s.proven.Store(c.proven)
	}
	h.mu.Unlock()
	var release func(context.Context) error
	if err == nil { // before the session replaced lets go of the name (replaced), so it stays the node's
		release, err = h.holdName(ctx, s, c)
	}
	h.replaced(g, opt)
	h.logLapsed(c.lapsed)
	if err != nil {
		return nil, err
	}
	if c.unbound {
		h.log.Warn("name not bound to its key", "user", LogName(name), "addr", opt.Addr, "reason", "too many new names from the address")
	}

	if c.bound || c.refresh {
		if err := h.bindName(ctx, c.rec, c.bound); err != nil && c.bound {
			h.mu.Lock()
			h.unbindOwn(key, c.rec.KeyID) // not a binding another node made meanwhile
			h.dropLogin(s)
			h.mu.Unlock()
			h.releaseName(s, release)
			h.log.Error("bind name", "user", LogName(name), "err", err)
			return nil, bindFailed(name, err)
		} else if err != nil {
			h.log.Warn("refresh name binding", "user", name, "err", err)
		}
	}

	ignored := h.loadIgnored(ctx, name, c)
	s.awaitLeaves(ctx)
	// A login that proved the name without binding it now proved a name
	// protected before it: what was kept for the name is its own.
	off := h.offlineFor(ctx, name, c.proven && !c.bound, c.bound, ignored)
	h.mu.Lock()
	if s.closed { // replaced meanwhile by a newer login that proved the name
		h.mu.Unlock()
		h.releaseName(s, release)
		return nil, ErrReplaced
	}
	if h.closing || (!s.operator && h.serverBanOf(key, sks, opt.KeyID, opt.Addr, h.now()) >= 0) { // a /gban made meanwhile
		closing := h.closing
		h.dropLogin(s)
		h.mu.Unlock()
		h.releaseName(s, release)
		if closing {
			return nil, ErrShutdown
		}
		return nil, ErrServerBanned
	}
	r := h.rooms[Fold(DefaultRoom)]
	s.release = release
	h.setIgnored(s, ignored)
	var w Wakes
	w.Hold()
	s.out.PushHeld(h.systemEvent("Logging in as "+name), &w)
	h.pushMOTD(s, &w)
	told := h.pushEntry(s, r, true, &w)
	off.push(s, &w)
	s.room = r
	h.enter(r, s)
	if s.roster {
		h.rosterN++
	}
	h.mu.Unlock()
	w.Run()
	h.recordTold(ctx, told)
	h.deliveredOffline(ctx, off)

	h.log.Info("login", "user", LogName(name), "door", opt.Door, "addr", opt.Addr)
	h.rosterRoom(r)
	h.shareRoster(s, r, RosterEnter)
	h.hook(func(b *Bot) { b.plugin.UserJoined(ctx, b, User{Name: name, Room: r.name}) })
	h.joined(s)
	return s, nil
}

// Shutdown tells every user the server is shutting down and closes their
// outboxes; their doors then close the connections. Later logins fail with
// ErrShutdown, and leaving users cause no leave lines, but on a node of a
// cluster, whose users' rooms have members on other nodes (quietLeave).
func (h *Hub) Shutdown() {
	h.mu.Lock()
	h.closing = true
	h.stopTimers()
	all := make([]*Session, 0, len(h.users))
	for _, s := range h.users {
		all = append(all, s)
	}
	h.mu.Unlock()
	ev := h.systemEvent(TextShutdown)
	for _, s := range all {
		s.out.Push(ev)
		s.out.Close()
	}
}

// RoomInfo describes a room for a screen.
type RoomInfo struct {
	Name       string
	Members    int  // users in the room when the list was made
	InviteOnly bool // locked with /lock: only admins, operators and invited names may enter

	room *room
}

// Messages returns how many messages the room has had: the number of its
// last one in the room's order, kept across restarts. It is read live, not
// when the list was made, so a shared list's counts are always current;
// safe from any goroutine.
func (i RoomInfo) Messages() uint64 {
	if i.room == nil {
		return 0
	}
	return i.room.seq.Load()
}

// Rooms returns every room in creation order, DefaultRoom first. The slice
// is shared by every caller until a room is added or a room's members
// change (1 000 screens asking every second about 1 000 rooms hold one
// list, made once, and take no lock): do not modify it. The message counts
// are read live (RoomInfo.Messages).
func (h *Hub) Rooms() []RoomInfo {
	if p := h.roomList.Load(); p != nil {
		return *p
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	// Built under the read lock, so concurrent callers may each build the
	// same list; changes, under the write lock, cannot interleave.
	out := make([]RoomInfo, len(h.order))
	for i, r := range h.order {
		out[i] = RoomInfo{Name: r.name, Members: len(r.members), InviteOnly: r.locked, room: r}
	}
	h.roomList.Store(&out)
	return out
}

// Member is a user in a room.
type Member struct {
	Name  string
	Admin bool
	// Away says the user marked themselves away (/away), AwayReason why
	// ("" if they gave no reason).
	Away       bool
	AwayReason string
	Operator   bool // a server operator (--ops-file), an admin of every room
	Muted      bool // muted in the room (/mute): their messages are not delivered
}

// Members returns the users in room, in the order they entered, or nil if
// there is no such room. The slice is shared by every caller until the
// room's members change (a room of 1 000 watched by 1 000 UIs holds one
// list, not 1 000): do not modify it.
func (h *Hub) Members(room string) []Member {
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := h.rooms[Fold(room)]
	if r == nil {
		return nil
	}
	if p := r.roster.Load(); p != nil {
		return *p
	}
	// Built under the read lock, so concurrent callers may each build the
	// same list; changes, under the write lock, cannot interleave.
	members := r.members
	if h.lines != nil {
		members = h.sharedOrder(r)
	}
	out := make([]Member, len(members))
	var now time.Time
	if len(r.mutes.recs) > 0 {
		now = h.now()
	}
	for i, s := range members {
		out[i] = Member{Name: s.name, Admin: s.operator || r.isAdmin(s.key), Operator: s.operator}
		if len(r.mutes.recs) > 0 {
			_, out[i].Muted = r.silences(s, now)
		}
		out[i].AwayReason, out[i].Away = s.Away()
	}
	r.roster.Store(&out)
	return out
}

// Online returns how many users are logged in.
func (h *Hub) Online() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users)
}

// CanEnter reports whether the user called name may /switch to room: they
// are not banned from it (by name, or, online, by the SSH key they logged
// in with), and it is open or they may enter it locked (mayEnter). A room
// that does not exist yet may be created by anyone.
func (h *Hub) CanEnter(room, name string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := h.rooms[Fold(room)]
	if r == nil {
		return true
	}
	key := Fold(name)
	s := h.users[key]
	if s == nil {
		s = &Session{key: key, sks: skeletons(key)}
	}
	if _, banned := r.keepsOut(s, h.now()); banned {
		return false
	}
	return r.mayEnterAs(key, s.operator)
}

// Help returns the text of the /help line (after "<system> ").
func (h *Hub) Help() string { return h.help }

// CommandNames returns every command, without '/', system ones first.
func (h *Hub) CommandNames() []string {
	out := append([]string(nil), systemCommands[:]...)
	out = append(out, "help")
	for _, b := range h.bots {
		for _, c := range b.plugin.Commands() {
			out = append(out, strings.ToLower(c))
		}
	}
	return out
}

func (h *Hub) systemEvent(text string) *Event {
	return &Event{Kind: KindSystem, From: SystemName, Text: text, Time: h.now()}
}

// hook runs f for every plugin, recovering a panic in any of them.
func (h *Hub) hook(f func(b *Bot)) {
	for _, b := range h.bots {
		b.safely(f)
	}
}

// rosterRoom tells r's members that want it that r changed.
func (h *Hub) rosterRoom(r *room) {
	h.roster(func(yield func(*Session) bool) {
		for _, s := range r.members { // read under the lock roster holds
			if !yield(s) {
				return
			}
		}
	})
}

// rosterAll tells every session that wants it that the room list changed.
func (h *Hub) rosterAll() { h.roster(maps.Values(h.users)) }

// roster pushes the KindRoster event to the sessions of each that want it,
// going through each under the read lock and waking their writers after.
func (h *Hub) roster(each iter.Seq[*Session]) {
	h.mu.RLock()
	if h.rosterN == 0 {
		h.mu.RUnlock()
		return
	}
	w := new(Wakes)
	w.Hold()
	for s := range each {
		if s.roster && s.room != nil {
			s.pushRoster(h.rosterEv, w)
		}
	}
	h.mu.RUnlock()
	w.Run()
}

// createRoom returns the room called name, creating it with creator as its
// admin once the store has it. A room of that name that expired is removed
// first, so the name is free for a new creator. A new room counts against
// Config.RoomsPerHour (ErrRoomsTooFast) and Config.MaxRooms
// (ErrTooManyRooms, once expired rooms are swept).
func (h *Hub) createRoom(ctx context.Context, name string, creator *Session) (*room, error) {
	h.createMu.Lock()
	defer h.createMu.Unlock()
	key, now := Fold(name), h.now()
	sks := skeletons(key)
	r, stale, full := h.lookupRoom(key, now)
	if r != nil && !stale {
		return r, nil
	}
	if r == nil {
		// A look-alike that expired is swept before the name is taken, so
		// that its skeletons are no longer its own.
		h.mu.RLock()
		like := h.roomLookAlike(key, sks)
		likeStale := like != nil && h.expired(like, now)
		h.mu.RUnlock()
		if like != nil && !likeStale {
			return nil, fmt.Errorf("create room %s: looks like %s: %w", name, like.name, ErrRoomInvalid)
		}
		stale = stale || likeStale
	}
	if !h.created.allow(now, creator.key, creator.addr) {
		return nil, ErrRoomsTooFast
	}
	if stale || full {
		h.sweep(ctx, now)
		if r, _, full = h.lookupRoom(key, now); r != nil {
			return r, nil // entered, so kept, between the two looks
		}
		if full {
			return nil, ErrTooManyRooms
		}
	}
	rec := RoomRecord{Name: name, Creator: creator.name, Created: now}
	if had, exists, err := h.createShared(ctx, rec); err != nil {
		return nil, fmt.Errorf("create room %s: %w: %w", name, ErrStore, err)
	} else if exists { // another node created it first: the creator enters it
		return h.addRemote(had), nil
	}
	if err := h.store.CreateRoom(ctx, rec); err != nil {
		// ErrRoomExists too: the store holds a room this hub does not
		// know, whose admin and messages must not pass to a new creator.
		return nil, fmt.Errorf("create room %s: %w: %w", name, ErrStore, err)
	}
	h.created.add(now, creator.key, creator.addr)
	h.mu.Lock()
	r = h.addRoom(name, creator.key, now)
	h.mu.Unlock()
	h.log.Info("room created", "room", LogName(name), "admin", LogName(creator.name), "addr", creator.addr)
	return r, nil
}

// lookupRoom returns the room whose folded name is key (nil if none, or
// if a sweep is removing it: createRoom, which waits for the sweep, then
// finds what is left), whether it has expired at now, and whether the
// room table is full.
func (h *Hub) lookupRoom(key string, now time.Time) (r *room, expired, full bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if r = h.rooms[key]; r != nil && r.gone {
		r = nil
	}
	return r, r != nil && h.expired(r, now), len(h.order) >= h.maxRooms
}

// expired reports whether r may be removed at now: Config.RoomExpiry is
// set, r is not DefaultRoom, and it has no member, no topic, no ban and no
// message since RoomExpiry before now (or since it was created). The
// caller holds mu.
func (h *Hub) expired(r *room, now time.Time) bool {
	// A cluster's room may have members on another node: it never expires.
	if h.expiry <= 0 || h.cluster != nil || r.gone || len(r.members) > 0 || r.bans.any(now) || r.hasTopic() || Fold(r.name) == Fold(DefaultRoom) {
		return false
	}
	last := r.created
	if n := r.lastMsg.Load(); n != 0 && time.Unix(0, n).After(last) {
		last = time.Unix(0, n)
	}
	return now.Sub(last) >= h.expiry
}

// sweep removes every room that has expired at now, from the store and
// then from memory, with its creator's rights, so that its name may be
// created again by anyone. It runs when the hub is built (New) and from
// createRoom when the room table is full or the room asked for has
// expired, under createMu: no goroutine and no timer of its own. The rooms
// are marked gone while the store removes them, so nobody enters one
// meanwhile; the removal is not cancelled with ctx (a user who hangs up
// must not leave it half done), and if it fails the rooms are kept, to be
// swept again later.
func (h *Hub) sweep(ctx context.Context, now time.Time) {
	// No change of rights meanwhile: one written for a room being removed
	// would outlive it in the store, and pass to its next creator.
	h.rightsMu.Lock()
	defer h.rightsMu.Unlock()
	h.mu.Lock()
	var gone []*room
	var names []string
	for _, r := range h.order {
		if h.expired(r, now) {
			r.gone = true
			gone = append(gone, r)
			names = append(names, r.name)
		}
	}
	h.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	err := h.store.DeleteRooms(context.WithoutCancel(ctx), names)
	h.mu.Lock()
	for _, r := range gone {
		if err != nil {
			r.gone = false
			continue
		}
		delete(h.rooms, Fold(r.name))
		h.roomLike.remove(skeletons(Fold(r.name)), Fold(r.name))
		h.forgetInvites(r) // names invited and never back hold nothing of it
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
	}
	if err == nil {
		h.order = slices.DeleteFunc(h.order, func(r *room) bool { return r.gone })
		h.roomList.Store(nil)
	}
	h.mu.Unlock()
	if err != nil {
		h.log.Error("remove expired rooms, kept", "rooms", len(gone), "err", err)
		return
	}
	for _, r := range gone {
		h.log.Info("room expired", "room", LogName(r.name), "admin", LogName(r.creator))
	}
	h.rosterAll()
}

// move puts s into to, from wherever it is, and runs the leave and join
// hooks. If s is not in from (when from is not nil) it returns ErrNotFound;
// if s is banned from to, ErrBanned and the ban; if to is locked and s may
// not enter it (mayEnter), ErrInviteOnly: checked under the same lock as
// the move, so a ban or lock recorded before cannot be slipped past.
// first, then the room's topic if first is not nil (a /switch), is pushed
// to s before anyone in to hears of it.
func (h *Hub) move(s *Session, from, to *room, first *Event) (BanRecord, error) {
	h.mu.Lock()
	if s.closed || (from != nil && s.room != from) || to.gone {
		h.mu.Unlock()
		return BanRecord{}, ErrNotFound
	}
	if ban, ok := to.keepsOut(s, h.now()); ok {
		h.mu.Unlock()
		return ban, ErrBanned
	}
	if !to.mayEnter(s) {
		h.mu.Unlock()
		return BanRecord{}, ErrInviteOnly
	}
	old := s.room
	h.leave(old, s)
	var w Wakes
	w.Hold()
	if first != nil {
		s.out.PushHeld(first, &w)
		h.pushEntry(s, to, false, &w)
	}
	s.room = to
	h.enter(to, s)
	h.mu.Unlock()
	w.Run()
	h.rosterRoom(old)
	h.rosterRoom(to)
	h.shareRoster(s, old, RosterLeave)
	h.shareRoster(s, to, RosterEnter)
	ctx := context.Background()
	h.hook(func(b *Bot) { b.plugin.UserLeft(ctx, b, User{Name: s.name, Room: old.name}) })
	h.hook(func(b *Bot) { b.plugin.UserJoined(ctx, b, User{Name: s.name, Room: to.name}) })
	return BanRecord{}, nil
}

// fanOut pushes e to the members of r but skip (nil for none), leaving
// the writers' wake-ups to r.wakes. The caller holds Hub.mu (either way)
// and r.mu, which put e in the room's order; it calls r.wakes.Run once it
// holds no lock.
func (r *room) fanOut(e *Event, skip *Session) (n int) {
	r.wakes.Hold()
	for _, m := range r.members {
		if m != skip {
			m.out.PushHeld(e, &r.wakes)
			n++
		}
	}
	return n
}

// fanOutFrom is fanOut for what the user whose folded name is from said:
// members who ignore them get nothing. from is "" while nobody online
// ignores anyone (Hub.ignorable), and it is then fanOut itself: its loop
// asks no member anything, so ignore lists cost nothing until someone
// has one (BenchmarkFanoutSync).
func (r *room) fanOutFrom(e *Event, skip *Session, from string) (n int) {
	if from == "" {
		return r.fanOut(e, skip)
	}
	r.wakes.Hold()
	for _, m := range r.members {
		if m != skip && !m.ignores(from) {
			m.out.PushHeld(e, &r.wakes)
			n++
		}
	}
	return n
}

// remember keeps e in the room's recent history; the caller holds r.mu.
func (r *room) remember(e *Event, max int) {
	r.lastMsg.Store(e.Time.UnixNano())
	if len(r.hist) < max {
		r.hist = append(r.hist, e)
	} else {
		r.hist[r.next] = e
		r.next = (r.next + 1) % max
	}
}

// recent returns up to n of the room's last messages, oldest first, but
// those of the names in ign.
func (r *room) recent(n int, ign *ignoreList) []*Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Event, 0, max(0, min(n, len(r.hist))))
	for i := len(r.hist) - 1; i >= 0 && len(out) < n; i-- {
		if e := r.hist[(r.next+i)%len(r.hist)]; !ign.said(e.From) {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// safely runs f for b's plugin, logging and swallowing a panic.
func (b *Bot) safely(f func(b *Bot)) {
	defer func() {
		if v := recover(); v != nil {
			b.hub.log.Error("plugin panicked", "plugin", b.name, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	f(b)
}
