package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Session is one logged-in user, on either door. The door feeds it typed
// lines with Input and delivers what arrives in its Outbox.
type Session struct {
	hub   *Hub
	name  string // as the user logged in
	key   string // Fold(name)
	door  string
	addr  string
	keyID string // fingerprint of the SSH key the user logged in with, "" for none
	out   *Outbox
	// operator: logged in with a key of the operators file
	// (LoginOptions.Operator). Guarded by hub.mu: a reload of the file
	// changes it (Hub.SetOperators).
	operator bool
	roster   bool

	rosterQueued atomic.Bool // a KindRoster event is queued, not yet seen

	// away is the reason the user gave with /away ("" for none), nil when
	// they are not away. Written under Hub.mu's write lock (so Members'
	// shared list, built under the read lock, is never stale); read
	// atomically anywhere, so a message costs one load to see it is nil.
	away atomic.Pointer[string]

	// ignored is the names the user ignores (/ignore), nil for none:
	// written under Hub.mu's write lock (Hub.setIgnored), read atomically
	// anywhere (ignore.go).
	ignored atomic.Pointer[ignoreList]

	sks skeletonSet // skeletons(name), the keys of its look-alikes

	since  time.Time    // when the user logged in (/whois)
	active atomic.Int64 // when they last typed a line, Unix nanoseconds (/whois)
	// heard is the room.muteGen of the room in which say last found the
	// user not muted by name: until that room's mutes change, their
	// messages there skip the look-up (Hub.mutedIn).
	heard atomic.Uint64

	// proven: the user proved their name, by its key or its password
	// (password.go); set at login and by /password.
	proven atomic.Bool

	// passwordAt: when /password last hashed (PasswordEvery); used only
	// by the session's reader, which runs its commands.
	passwordAt time.Time

	rid string // this session's id on its node, for the cluster's roster (shareRoster)

	// dropped is set by the first dropWith: a user banned from the server
	// may be told by the node that banned them and by the ban's record
	// reaching this one; they get the line once.
	dropped atomic.Bool

	// guarded by hub.mu
	room   *room
	closed bool
	// release lets go of the cluster's hold of the name (Cluster.HoldName),
	// nil for none; set by Login as the session enters its room, taken by
	// whatever logs it out (Close, or a login replacing it).
	release func(context.Context) error

	// ghosts are closed once the leave lines of the sessions that this
	// one's login replaced have gone out (ghost.go); written only by that
	// login, under hub.mu.
	ghosts []chan struct{}
	// announce orders the join and leave lines of a session replaced
	// while its Login was announcing its join (ghost.go).
	announce struct {
		sync.Mutex
		joined bool   // Login has run the join hooks
		leave  *ghost // the leave to announce after them
	}
}

// Name returns the user's name as they logged in.
func (s *Session) Name() string { return s.name }

// Outbox returns the queue of events for this session.
func (s *Session) Outbox() *Outbox { return s.out }

// pushRoster queues ev, a KindRoster event, unless one is already on its
// way: in a storm of logins a UI gets one, not one a login.
// The caller holds Hub.mu and runs w after unlocking.
func (s *Session) pushRoster(ev *Event, w *Wakes) {
	if s.rosterQueued.CompareAndSwap(false, true) {
		s.out.PushHeld(ev, w)
	}
}

// RosterSeen says the door is about to reload what the roster shows (the
// room, its members, the room list): the next change sends a KindRoster
// event again. Call it before reading, so no change is missed.
func (s *Session) RosterSeen() { s.rosterQueued.Store(false) }

// Room returns the name of the room the user is in.
func (s *Session) Room() string {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return s.room.name
}

// Recent returns up to n of the last messages of the user's room, oldest
// first, leaving out those of the names the user ignores.
func (s *Session) Recent(n int) []*Event {
	s.hub.mu.RLock()
	r := s.room
	s.hub.mu.RUnlock()
	return r.recent(n, s.ignored.Load())
}

// Older returns up to n messages of the user's room that came before the
// one numbered before (Event.Seq), oldest first, from the store: for a
// screen scrolling back past what Recent gave it. Pages follow the room's
// order, so messages said in the same instant are neither skipped nor
// repeated. Those of the names the user ignores are left out, and pages
// further back read in their place: fewer than n means there are no more.
// It blocks on the store; ctx bounds it.
func (s *Session) Older(ctx context.Context, before uint64, n int) ([]Message, error) {
	room := s.Room()
	ign := s.ignored.Load()
	var out []Message
	for {
		msgs, err := s.hub.store.History(ctx, room, before, n)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", room, err)
		}
		if ign == nil {
			return msgs, nil
		}
		more := len(msgs) == n && n > 0
		if more {
			before = msgs[0].Seq
		}
		msgs = slices.DeleteFunc(msgs, func(m Message) bool { return ign.said(m.From) })
		out = append(msgs, out...)
		if !more || len(out) >= n {
			return out[max(0, len(out)-n):], nil
		}
	}
}

// Notify sends the user a system line.
func (s *Session) Notify(text string) { s.out.Push(s.hub.systemEvent(text)) }

// Input handles one line the user typed: a command if it starts with '/',
// else a message to their room. It sanitises the line first and ignores it
// if nothing is left. Input blocks only for store writes the line asks for
// (a new room, a ban); ctx bounds them. After Close it does nothing: a user
// who logged out says nothing more.
func (s *Session) Input(ctx context.Context, line string) {
	line = Sanitize(line)
	if line == "" || s.loggedOut() {
		return
	}
	s.active.Store(s.hub.now().UnixNano())
	if line[0] == '/' {
		s.command(ctx, line[1:])
		return
	}
	if RuneLen(line) > MaxMessageLen {
		s.Notify(TextTooLong)
		return
	}
	s.say(ctx, line, false)
}

// loggedOut reports whether Close was called.
func (s *Session) loggedOut() bool {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return s.closed
}

// dropWith tells the user text (a system line) and logs them out: for a
// disconnect that more than one path may make at once (a server ban made
// here, asked by another node, or learned from the cluster); the line is
// told once.
func (s *Session) dropWith(text string) {
	if s.dropped.CompareAndSwap(false, true) {
		s.Notify(text)
	}
	s.Close()
}

// Close logs the user out: they leave their room (whose members get the
// plugins' leave lines) and their outbox closes once drained. Safe to call
// more than once.
func (s *Session) Close() {
	h := s.hub
	h.mu.Lock()
	if s.closed {
		h.mu.Unlock()
		return
	}
	r := h.logOut(s)
	closing := h.closing
	release := s.release
	s.release = nil
	h.mu.Unlock()
	h.loggedOut(s, r, closing, "")
	h.releaseName(s, release)
}

// say delivers text, a message or (action) an action, to everyone else in
// the user's room. The message is numbered, fanned out, kept in the room's
// history and queued for the store under the room's lock, so all of them
// see one order. Saying something ends the user's away, without a line. A
// user muted in the room is told so and nothing is delivered; that check
// costs a user in a room without mutes one length of a map, and one who
// is not muted in a room with mutes one comparison (Hub.mutedIn).
func (s *Session) say(ctx context.Context, text string, action bool) {
	h := s.hub
	if s.away.Load() != nil {
		if m, room, muted := s.muted(); muted { // said nothing: still away
			s.out.Push(mutedLine(m, room, h.now()))
			return
		}
		s.setAway(nil)
	}
	skip := s
	if s.roster {
		skip = nil // the screen shows your own messages; a line client already has them
	}
	h.mu.RLock()
	if s.closed {
		h.mu.RUnlock()
		return
	}
	r := s.room
	if len(r.mutes.recs) > 0 && s.heard.Load() != r.muteGen { // else not muted: no call
		if m, muted := h.mutedIn(s, r); muted {
			h.mu.RUnlock()
			s.out.Push(mutedLine(m, r.name, h.now()))
			return
		}
	}
	if h.lines != nil { // every node fans out what the cluster orders (Deliver)
		h.mu.RUnlock()
		h.sayShared(ctx, s, r, text, action)
		return
	}
	t0 := h.fanOutTimer()
	r.mu.Lock()
	ev := &Event{Kind: KindChat, Room: r.name, From: s.name, Text: text, Time: h.now(), Seq: r.seq.Load() + 1, Action: action}
	r.seq.Store(ev.Seq)
	n := r.fanOutFrom(ev, skip, h.ignorable(s))
	r.remember(ev, h.historyLen)
	m := Message{Room: r.name, From: s.name, Text: text, Time: ev.Time, Seq: ev.Seq, Action: action}
	h.store.AppendMessage(m)
	r.mu.Unlock()
	if !action {
		h.keepMentions(r, m) // off r.mu: the fan-out is done
	}
	h.mu.RUnlock()
	r.wakes.Run()
	h.fannedOut(t0, n)
	h.hook(func(b *Bot) { b.plugin.MessageReceived(ctx, b, m) })
}

// command runs one command line (without its '/').
func (s *Session) command(ctx context.Context, line string) {
	word, args := CutArg(line)
	if word != line[:len(word)] { // "/ x": a space right after the slash
		word, args = "", line
	}
	name := strings.ToLower(word)
	switch name {
	case "leave":
		s.Notify("Leaving chat room.")
		s.Close()
	case "room":
		s.Notify("You're currently in the '" + s.Room() + "' room.")
	case "switch":
		if args == "" {
			s.Notify("Please specify a room to switch to.")
			return
		}
		s.switchTo(ctx, args)
	case "history":
		s.history(args)
	case "me":
		s.me(ctx, args)
	case "away":
		s.markAway(args)
	case "back":
		if !s.setAway(nil) {
			s.Notify("You're not marked as away.")
			return
		}
		s.Notify("You're no longer marked as away.")
	case "ignore":
		s.ignore(ctx, args)
	case "unignore":
		s.unignore(ctx, args)
	case "whois":
		s.whois(args)
	case "motd":
		s.showMOTD()
	case "password":
		s.setPassword(ctx, args)
	case "help":
		s.help(args)
	default:
		b := s.hub.commands[name]
		if name == "" || b == nil {
			s.Notify(TextNoCommand)
			return
		}
		c := Command{From: s.name, Room: s.Room(), Name: name, Args: args}
		b.safely(func(b *Bot) { b.plugin.CommandReceived(withActor(ctx, s), b, c) })
	}
}

// switchTo moves the user to the room called name, creating it if needed.
func (s *Session) switchTo(ctx context.Context, name string) {
	h := s.hub
	if name = Normalize(name); !ValidRoomName(name) {
		s.Notify(TextRoomInvalid)
		return
	}
	h.mu.RLock()
	cur := s.room
	h.mu.RUnlock()
	// createRoom decides, under createMu, whether the room is there, is to
	// be created anew (it expired) or may not be (a look-alike).
	r, stale, _ := h.lookupRoom(Fold(name), h.now())
	if r != nil && r == cur {
		s.Notify("You're already in the '" + r.name + "' room.")
		return
	}
	if r == nil || stale {
		var err error
		if r, err = h.createRoom(ctx, name, s); errors.Is(err, ErrTooManyRooms) {
			h.log.Warn("room refused", "user", LogName(s.name), "room", LogName(name), "reason", "too many rooms")
			s.Notify(TextTooManyRooms)
			return
		} else if errors.Is(err, ErrRoomInvalid) {
			s.Notify(TextRoomInvalid) // it looks like a room that exists
			return
		} else if errors.Is(err, ErrRoomsTooFast) {
			h.log.Warn("room refused", "user", s.name, "addr", s.addr, "room", name, "reason", "too many rooms lately")
			s.Notify(TextRoomsTooFast)
			return
		} else if err != nil {
			h.log.Error("switch", "user", LogName(s.name), "room", LogName(name), "err", err)
			s.Notify("Could not create the room '" + name + "', please try again.")
			return
		}
		h.rosterAll()
	}
	// The ban is checked by the move, under the lock that makes it: a ban
	// recorded while this switch was on its way keeps the user out.
	ban, err := h.move(s, cur, r, h.systemEvent("Switched to room '"+r.name+"'"))
	switch {
	case errors.Is(err, ErrBanned):
		s.out.Push(&Event{Kind: KindBot, From: ban.By, Text: "You're banned from this room and cannot join.", Time: h.now()})
	case errors.Is(err, ErrInviteOnly):
		s.out.Push(&Event{Kind: KindBot, From: h.tagOf("lock"), Text: InviteOnlyText(r.name), Time: h.now()})
	case err != nil:
		// Moved (kicked) or logged out between the look-up and the move.
		s.Notify("Could not switch to '" + r.name + "', please try again.")
	}
}

// history replays the room's last N messages to the user.
func (s *Session) history(args string) {
	n := 20
	if arg, _ := CutArg(args); arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 || v > DefaultHistoryLen {
			s.Notify("Usage: /history [N], N a number of messages from 1 to 200.")
			return
		}
		n = v
	}
	evs := s.Recent(n)
	for _, e := range evs {
		s.out.Push(&Event{Kind: KindHistory, Room: e.Room, From: e.From, Text: e.Text, Time: e.Time, Seq: e.Seq, Action: e.Action})
	}
	if len(evs) == 0 {
		s.Notify("No messages yet in '" + s.Room() + "'.")
	}
}

// me sends text as an action, "* NAME TEXT", to everyone else in the room.
func (s *Session) me(ctx context.Context, text string) {
	switch {
	case text == "":
		s.Notify("Please specify an action.")
	case RuneLen(text) > MaxMessageLen:
		s.Notify(TextTooLong)
	default:
		s.say(ctx, text, true)
	}
}

// markAway marks the user away with reason (sanitised already by Input),
// cut at MaxMessageLen characters; /away again replaces the reason.
func (s *Session) markAway(reason string) {
	if RuneLen(reason) > MaxMessageLen {
		reason = string([]rune(reason)[:MaxMessageLen])
	}
	s.setAway(&reason)
	if reason == "" {
		s.Notify("You're now marked as away.")
		return
	}
	s.Notify("You're now marked as away: " + reason)
}

// setAway marks the user away with *reason, or back for nil, and tells the
// screens in their room; it reports whether they were away before.
func (s *Session) setAway(reason *string) (was bool) {
	h := s.hub
	h.mu.Lock()
	was = s.away.Swap(reason) != nil
	r := s.room
	if r != nil && !s.closed {
		r.roster.Store(nil) // Members shows who is away
	}
	h.mu.Unlock()
	if r != nil && (was || reason != nil) {
		h.rosterRoom(r)
	}
	return was
}

// Away reports whether the user is marked away, and the reason they gave
// ("" for none).
func (s *Session) Away() (reason string, away bool) {
	if p := s.away.Load(); p != nil {
		return *p, true
	}
	return "", false
}
