package chat

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
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
}

// DefaultMaxRooms caps the rooms of a hub. Rooms are never removed and each
// keeps up to HistoryLen messages in memory (~175 KB when full of long
// messages), so without a cap one client could exhaust memory and disk.
const DefaultMaxRooms = 1000

// Hub is the chat engine: rooms, who is where, admins, bans and commands.
// It owns all of that state behind one lock that is never held while plugin
// code runs or anything blocks; fan-out only queues on sessions' outboxes.
// All methods are safe for concurrent use.
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

	createMu sync.Mutex // serialises room creation, whose store write runs outside mu

	mu      sync.RWMutex
	rooms   map[string]*room    // by folded name
	order   []*room             // creation order, DefaultRoom first
	users   map[string]*Session // by folded name, online users
	owners  map[string]string   // folded name → SSH key fingerprint
	rosterN int                 // sessions that want KindRoster events
	closing bool
}

// room is one chat room. Its fields but hist are guarded by Hub.mu.
type room struct {
	name    string
	creator string // folded name of the creator, "" for none
	bans    map[string]BanRecord
	members []*Session               // in the order they entered
	roster  atomic.Pointer[[]Member] // members as Members returns them; nil after a change
	said    atomic.Uint64

	histMu sync.Mutex
	hist   []*Event // ring of the last historyLen messages
	next   int
}

// systemCommands are the engine's own commands, in /help order.
var systemCommands = [...]string{"leave", "room", "switch", "history"}

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
		owners:     map[string]string{},
		rosterEv:   &Event{Kind: KindRoster},
	}
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
	h.addRoom(DefaultRoom, "")
	for _, r := range snap.Rooms {
		if h.rooms[Fold(r.Name)] == nil {
			h.addRoom(r.Name, Fold(r.Creator))
		}
	}
	for _, b := range snap.Bans {
		if r := h.rooms[Fold(b.Room)]; r != nil {
			r.bans[Fold(b.Name)] = b
		}
	}
	for _, n := range snap.Names {
		h.owners[Fold(n.Name)] = n.KeyID
	}
	for _, r := range h.order {
		msgs, err := cfg.Store.History(ctx, r.name, h.now().Add(time.Hour), h.historyLen)
		if err != nil {
			return nil, fmt.Errorf("load history of %s: %w", r.name, err)
		}
		for _, m := range msgs {
			r.remember(&Event{Kind: KindChat, Room: r.name, From: m.From, Text: m.Text, Time: m.Time}, h.historyLen)
		}
	}
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
	for _, p := range plugins {
		name := p.Name()
		if CheckName(name) != nil || h.reserved[Fold(name)] {
			return fmt.Errorf("register plugin %q: bad or duplicate name", name)
		}
		b := &Bot{hub: h, name: name, plugin: p}
		h.bots = append(h.bots, b)
		h.reserved[Fold(name)] = true
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
	return nil
}

// addRoom adds a room to the in-memory state; the caller holds mu or owns h.
func (h *Hub) addRoom(name, creator string) *room {
	r := &room{name: name, creator: creator, bans: map[string]BanRecord{}}
	h.rooms[Fold(name)] = r
	h.order = append(h.order, r)
	return r
}

// LoginOptions describe the connection a user logs in from.
type LoginOptions struct {
	Door   string  // "telnet" or "ssh", for logs
	Addr   string  // remote address, for logs
	KeyID  string  // SSH public key fingerprint, "" without a key
	Outbox *Outbox // where the session's events go; required
	Roster bool    // the door wants KindRoster events (the TUI does, lines do not)
}

// Login logs name in and puts it in DefaultRoom. It returns an error wrapping
// one of ErrNameTooLong, ErrNameInvalid, ErrNameReserved, ErrNameTaken,
// ErrNameOwned, ErrShutdown or ErrStore; RefusalText words it for the user.
// On success the user has been sent "Logging in as NAME" and the plugins'
// join lines.
func (h *Hub) Login(ctx context.Context, name string, opt LoginOptions) (*Session, error) {
	name = Sanitize(name)
	if err := CheckName(name); err != nil {
		return nil, err
	}
	key := Fold(name)
	if h.reserved[key] {
		return nil, ErrNameReserved
	}
	s := &Session{hub: h, name: name, key: key, door: opt.Door, addr: opt.Addr, out: opt.Outbox, roster: opt.Roster}
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	if h.users[key] != nil {
		h.mu.Unlock()
		return nil, ErrNameTaken
	}
	owner, owned := h.owners[key]
	if owned && owner != opt.KeyID {
		h.mu.Unlock()
		return nil, ErrNameOwned
	}
	h.users[key] = s // holds the name while the binding is written
	h.mu.Unlock()

	if !owned && opt.KeyID != "" {
		if err := h.store.BindName(ctx, NameRecord{Name: name, KeyID: opt.KeyID}); err != nil {
			h.mu.Lock()
			delete(h.users, key)
			h.mu.Unlock()
			h.log.Error("bind name", "user", LogName(name), "err", err)
			return nil, fmt.Errorf("bind name %s: %w: %w", name, ErrStore, err)
		}
	}

	h.mu.Lock()
	if !owned && opt.KeyID != "" {
		h.owners[key] = opt.KeyID
	}
	if h.closing {
		delete(h.users, key)
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	r := h.rooms[Fold(DefaultRoom)]
	s.out.Push(h.systemEvent("Logging in as " + name))
	s.room = r
	r.members = append(r.members, s)
	r.roster.Store(nil)
	if s.roster {
		h.rosterN++
	}
	h.mu.Unlock()

	h.log.Info("login", "user", LogName(name), "door", opt.Door, "addr", opt.Addr)
	h.rosterRoom(r)
	h.hook(func(b *Bot) { b.plugin.UserJoined(ctx, b, User{Name: name, Room: r.name}) })
	return s, nil
}

// Shutdown tells every user the server is shutting down and closes their
// outboxes; their doors then close the connections. Later logins fail with
// ErrShutdown, and leaving users cause no leave lines.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	h.closing = true
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
	Name     string
	Members  int
	Messages uint64 // how many messages were ever said there since start
}

// Rooms returns every room in creation order, DefaultRoom first.
func (h *Hub) Rooms() []RoomInfo {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]RoomInfo, len(h.order))
	for i, r := range h.order {
		out[i] = RoomInfo{Name: r.name, Members: len(r.members), Messages: r.said.Load()}
	}
	return out
}

// Member is a user in a room.
type Member struct {
	Name  string
	Admin bool
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
	out := make([]Member, len(r.members))
	for i, s := range r.members {
		out[i] = Member{Name: s.name, Admin: r.creator != "" && r.creator == s.key}
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
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.rosterN == 0 {
		return
	}
	for _, s := range r.members {
		if s.roster {
			s.pushRoster(h.rosterEv)
		}
	}
}

// rosterAll tells every session that wants it that the room list changed.
func (h *Hub) rosterAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.rosterN == 0 {
		return
	}
	for _, s := range h.users {
		if s.roster && s.room != nil {
			s.pushRoster(h.rosterEv)
		}
	}
}

// createRoom returns the room called name, creating it with creator as its
// admin once the store has it.
func (h *Hub) createRoom(ctx context.Context, name string, creator *Session) (*room, error) {
	h.createMu.Lock()
	defer h.createMu.Unlock()
	key := Fold(name)
	h.mu.RLock()
	r := h.rooms[key]
	full := len(h.order) >= h.maxRooms
	h.mu.RUnlock()
	if r != nil {
		return r, nil
	}
	if full {
		return nil, ErrTooManyRooms
	}
	rec := RoomRecord{Name: name, Creator: creator.name, Created: h.now()}
	if err := h.store.CreateRoom(ctx, rec); err != nil {
		return nil, fmt.Errorf("create room %s: %w: %w", name, ErrStore, err)
	}
	h.mu.Lock()
	r = h.addRoom(name, creator.key)
	h.mu.Unlock()
	h.log.Info("room created", "room", LogName(name), "admin", LogName(creator.name))
	return r, nil
}

// move puts s into to, from wherever it is. If s is not in from (when from
// is not nil) it returns ErrNotFound. first is pushed to s before anyone in
// to hears of it. The caller runs the hooks.
func (h *Hub) move(s *Session, from, to *room, first *Event) error {
	h.mu.Lock()
	if s.closed || (from != nil && s.room != from) {
		h.mu.Unlock()
		return ErrNotFound
	}
	old := s.room
	old.members = remove(old.members, s)
	old.roster.Store(nil)
	if first != nil {
		s.out.Push(first)
	}
	s.room = to
	to.members = append(to.members, s)
	to.roster.Store(nil)
	h.mu.Unlock()
	h.rosterRoom(old)
	h.rosterRoom(to)
	ctx := context.Background()
	h.hook(func(b *Bot) { b.plugin.UserLeft(ctx, b, User{Name: s.name, Room: old.name}) })
	h.hook(func(b *Bot) { b.plugin.UserJoined(ctx, b, User{Name: s.name, Room: to.name}) })
	return nil
}

func remove(list []*Session, s *Session) []*Session {
	for i, m := range list {
		if m == s {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

// remember keeps e in the room's recent history.
func (r *room) remember(e *Event, max int) {
	r.histMu.Lock()
	if len(r.hist) < max {
		r.hist = append(r.hist, e)
	} else {
		r.hist[r.next] = e
		r.next = (r.next + 1) % max
	}
	r.histMu.Unlock()
}

// recent returns up to n of the room's last messages, oldest first.
func (r *room) recent(n int) []*Event {
	r.histMu.Lock()
	defer r.histMu.Unlock()
	if n > len(r.hist) {
		n = len(r.hist)
	}
	out := make([]*Event, 0, n)
	for i := len(r.hist) - n; i < len(r.hist); i++ {
		out = append(out, r.hist[(r.next+i)%len(r.hist)])
	}
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
