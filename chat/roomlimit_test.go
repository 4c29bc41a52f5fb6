package chat_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/store"
)

// clock is a settable clock for chat.Config.Now.
type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.ns.Store(t0.UnixNano()); return c }
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// claimHub is a hub on st (a fresh in-memory store if nil) with helperbot,
// the clock c and the claim limits given.
func claimHub(t *testing.T, st chat.Store, c *clock, perHour int, expiry time.Duration, maxRooms int) *chat.Hub {
	t.Helper()
	if st == nil {
		st = store.NewMemory(0)
	}
	h, err := chat.New(t.Context(), chat.Config{
		Store: st, Plugins: []chat.Plugin{helperbot.New()}, Now: c.Now,
		RoomsPerHour: perHour, RoomExpiry: expiry, MaxRooms: maxRooms,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// loginFrom logs name in from addr and drains its login lines.
func loginFrom(t *testing.T, h *chat.Hub, name, addr string) *chat.Session {
	t.Helper()
	s, err := h.Login(t.Context(), name, chat.LoginOptions{Door: "test", Addr: addr, Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatalf("Login(%q): %v", name, err)
	}
	drainLines(s)
	return s
}

// switchTo sends /switch room and returns the lines s got for it, not
// those from before.
func switchTo(s *chat.Session, room string) []string {
	drainLines(s)
	s.Input(context.Background(), "/switch "+room)
	return drainLines(s)
}

const tooFastLine = "<system> You've created too many rooms lately, please use an existing one.\n"

func TestRoomsPerHour(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := claimHub(t, nil, c, 2, 0, 0)
	alice := loginFrom(t, h, "alice", "10.0.0.1:4000")
	bob := loginFrom(t, h, "bob", "10.0.0.1:4001")     // alice's address
	carol := loginFrom(t, h, "carol", "10.0.0.2:4000") // another one
	refused := func(s *chat.Session, room, stays string) {
		t.Helper()
		if got := switchTo(s, room); !slices.Equal(got, []string{tooFastLine}) {
			t.Errorf("%s: /switch %s = %q, want only %q", s.Name(), room, got, tooFastLine)
		}
		if got := s.Room(); got != stays {
			t.Errorf("%s is in %q after the refusal, want %q", s.Name(), got, stays)
		}
	}
	switchTo(alice, "one")
	c.Advance(30 * time.Minute)
	switchTo(alice, "two")
	refused(alice, "three", "two")
	refused(bob, "three", "chat") // per address
	if got := switchTo(carol, "three"); len(got) == 0 || got[0] != "<system> Switched to room 'three'\n" {
		t.Errorf("carol, from another address: %q", got)
	}
	// An existing room is no creation.
	if got := switchTo(bob, "ONE"); len(got) == 0 || got[0] != "<system> Switched to room 'one'\n" {
		t.Errorf("bob to an existing room: %q", got)
	}
	// The same name from another address: per name.
	alice.Close()
	alice = loginFrom(t, h, "ALICE", "10.0.0.9:1")
	refused(alice, "four", "chat")
	// The window slides: an hour after the first room, one more.
	c.Advance(30 * time.Minute)
	switchTo(alice, "four")
	refused(alice, "five", "four")
	c.Advance(30 * time.Minute)
	switchTo(alice, "five")
	if got := alice.Room(); got != "five" {
		t.Errorf("alice is in %q an hour after her second room, want five", got)
	}
}

func TestRoomsPerHourOff(t *testing.T) {
	t.Parallel()
	h := claimHub(t, nil, newClock(), 0, 0, 0)
	alice := loginFrom(t, h, "alice", "10.0.0.1:4000")
	for i := range 50 {
		room := "r" + strings.Repeat("x", i%20) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if got := switchTo(alice, room); len(got) == 0 || !strings.HasPrefix(got[0], "<system> Switched to room") {
			t.Fatalf("room %d with no limit: %q", i, got)
		}
	}
}

// TestRoomExpiry: a room empty, without bans and messages for RoomExpiry
// is gone with its creator's rights; the next to ask for the name creates
// it. A room with a ban, or someone in it, or a recent message stays, and
// chat always does.
func TestRoomExpiry(t *testing.T) {
	t.Parallel()
	const expiry = 30 * 24 * time.Hour
	c := newClock()
	st := store.NewMemory(0)
	h := claimHub(t, st, c, 0, expiry, 0)
	alice := loginFrom(t, h, "alice", "")
	bob := loginFrom(t, h, "bob", "")
	ctx := t.Context()

	switchTo(bob, "banned")
	switchTo(alice, "banned")
	bob.Input(ctx, "/ban alice") // alice is back in chat; banned keeps a ban
	switchTo(bob, "busy")        // bob stays in busy
	switchTo(alice, "den")
	alice.Input(ctx, "last words")
	switchTo(alice, "quiet") // never a message
	switchTo(alice, "chat")
	drainLines(bob)

	c.Advance(expiry - time.Second)
	switchTo(alice, "DEN") // not yet: the old room, alice still its admin
	alice.Input(ctx, "/users")
	if got := drainLines(alice); len(got) != 1 || !strings.Contains(got[0], "1. alice (admin)") {
		t.Fatalf("den before it expired: %q", got)
	}
	switchTo(alice, "chat") // den's last message is still a second from expiring
	c.Advance(time.Second)

	carol := loginFrom(t, h, "carol", "")
	if got := switchTo(carol, "Den"); len(got) == 0 || got[0] != "<system> Switched to room 'Den'\n" {
		t.Fatalf("carol to an expired den: %q", got)
	}
	carol.Input(ctx, "/users")
	carol.Input(ctx, "/history")
	if got, want := drainLines(carol), []string{
		"<helperbot> Current online users:\n<helperbot> 1. carol (admin)\n",
		"<system> No messages yet in 'Den'.\n",
	}; !slices.Equal(got, want) {
		t.Fatalf("the new Den: %q, want %q", got, want)
	}
	// quiet went too (the sweep takes every expired room), the rest stay.
	if got, want := roomNames(h), []string{"chat", "banned", "busy", "Den"}; !slices.Equal(got, want) {
		t.Errorf("rooms = %q, want %q", got, want)
	}
	snap, _ := st.Load(ctx)
	var stored []string
	for _, r := range snap.Rooms {
		stored = append(stored, r.Name+"/"+r.Creator)
	}
	if want := []string{"banned/bob", "busy/bob", "Den/carol"}; !slices.Equal(stored, want) {
		t.Errorf("stored rooms = %q, want %q", stored, want)
	}
	if msgs, _ := st.History(ctx, "den", math.MaxUint64, 10); len(msgs) != 0 {
		t.Errorf("den's messages were kept: %v", msgs)
	}
}

func roomNames(h *chat.Hub) []string {
	var out []string
	for _, r := range h.Rooms() {
		out = append(out, r.Name)
	}
	return out
}

// TestRoomExpiryWhenFull: at the room cap, expired rooms make way for a
// new one; without any, the cap's line stays.
func TestRoomExpiryWhenFull(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := claimHub(t, nil, c, 0, time.Hour, 3)
	alice := loginFrom(t, h, "alice", "")
	switchTo(alice, "one")
	switchTo(alice, "two")
	if got, want := switchTo(alice, "three"), []string{"<system> " + chat.TextTooManyRooms + "\n"}; !slices.Equal(got, want) {
		t.Fatalf("at the cap: %q, want %q", got, want)
	}
	switchTo(alice, "chat")
	c.Advance(time.Hour)
	if got := switchTo(alice, "three"); len(got) == 0 || got[0] != "<system> Switched to room 'three'\n" {
		t.Fatalf("at the cap with two expired rooms: %q", got)
	}
	if got, want := roomNames(h), []string{"chat", "three"}; !slices.Equal(got, want) {
		t.Errorf("rooms = %q, want %q", got, want)
	}
}

// TestRoomExpiryAtStart: a hub built on a store with expired rooms removes
// them from the store too; rooms with a recent message stay, and nothing
// expires with RoomExpiry 0.
func TestRoomExpiryAtStart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newClock()
	st := store.NewMemory(0)
	old := c.Now().Add(-48 * time.Hour)
	for _, name := range []string{"stale", "talked"} {
		if err := st.CreateRoom(ctx, chat.RoomRecord{Name: name, Creator: "alice", Created: old}); err != nil {
			t.Fatal(err)
		}
	}
	st.AppendMessage(chat.Message{Room: "talked", From: "alice", Text: "hi", Time: c.Now().Add(-time.Hour)})
	claimHub(t, st, c, 0, 0, 0) // no expiry: nothing goes
	h := claimHub(t, st, c, 0, 24*time.Hour, 0)
	if got, want := roomNames(h), []string{"chat", "talked"}; !slices.Equal(got, want) {
		t.Errorf("rooms = %q, want %q", got, want)
	}
	if snap, _ := st.Load(ctx); len(snap.Rooms) != 1 || snap.Rooms[0].Name != "talked" {
		t.Errorf("stored rooms = %v, want talked only", snap.Rooms)
	}
}

// TestExpiredRoomLookAlike: an expired room's name no longer stands in the
// way of a look-alike, and the look-alike created then keeps the original
// spelling out, as any room does.
func TestExpiredRoomLookAlike(t *testing.T) {
	t.Parallel()
	const expiry = time.Hour
	c := newClock()
	h := claimHub(t, nil, c, 0, expiry, 0)
	alice := loginFrom(t, h, "alice", "")
	switchTo(alice, "ceo")
	switchTo(alice, "chat")
	c.Advance(expiry)

	const cyrillic = "\u0441\u0435\u043e" // Cyrillic сео, like ceo
	if got := switchTo(alice, cyrillic); len(got) == 0 || got[0] != "<system> Switched to room '"+cyrillic+"'\n" {
		t.Fatalf("switch to %q after ceo expired: %q", cyrillic, got)
	}
	switchTo(alice, "chat")
	want := "<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32).\n"
	if got := switchTo(alice, "ceo"); len(got) != 1 || got[0] != want {
		t.Fatalf("switch to ceo beside a live %q: %q, want %q", cyrillic, got, want)
	}
}

// failingDelete is an in-memory store whose DeleteRooms fails while fail
// is set, and fails when its context is done, as SQLite's does.
type failingDelete struct {
	*store.Memory
	fail atomic.Bool
}

func (s *failingDelete) DeleteRooms(ctx context.Context, names []string) error {
	if s.fail.Load() {
		return errors.New("disk on fire")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.Memory.DeleteRooms(ctx, names)
}

// expiredDen starts a hub on st whose rooms expire after expiry, with
// alice and bob in chat and alice's den expired.
func expiredDen(t *testing.T, st chat.Store, expiry time.Duration) (*clock, *chat.Session, *chat.Session) {
	t.Helper()
	c := newClock()
	h := claimHub(t, st, c, 0, expiry, 0)
	alice := loginFrom(t, h, "alice", "")
	bob := loginFrom(t, h, "bob", "")
	switchTo(alice, "den")
	switchTo(alice, "chat")
	c.Advance(expiry)
	return c, alice, bob
}

// TestRoomExpiryDeleteFails: an expired room the store cannot remove is
// kept, in memory and in the store, with its admin; it goes at the next
// sweep that can remove it. A switch whose context is done meanwhile does
// not cancel the removal.
func TestRoomExpiryDeleteFails(t *testing.T) {
	t.Parallel()
	const expiry = time.Hour
	st := &failingDelete{Memory: store.NewMemory(0)}
	c, _, bob := expiredDen(t, st, expiry)

	st.fail.Store(true)
	if got := switchTo(bob, "den"); len(got) == 0 || got[0] != "<system> Switched to room 'den'\n" {
		t.Fatalf("bob to den while the store fails: %q", got)
	}
	bob.Input(t.Context(), "/users")
	if got := drainLines(bob); len(got) != 1 || !strings.Contains(got[0], "1. bob\n") {
		t.Fatalf("den kept: /users = %q, want bob in alice's room, not its admin", got)
	}
	if snap, _ := st.Load(t.Context()); len(snap.Rooms) != 1 || snap.Rooms[0].Creator != "alice" {
		t.Fatalf("stored rooms = %v, want alice's den", snap.Rooms)
	}

	switchTo(bob, "chat")
	c.Advance(expiry)
	st.fail.Store(false)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // bob hangs up as the sweep starts
	drainLines(bob)
	bob.Input(ctx, "/switch den") // the in-memory store creates it all the same
	drainLines(bob)
	if snap, _ := st.Load(t.Context()); slices.ContainsFunc(snap.Rooms, func(r chat.RoomRecord) bool { return r.Creator == "alice" }) {
		t.Fatalf("stored rooms = %v: alice's den was not removed", snap.Rooms)
	}
	bob.Input(t.Context(), "/users")
	if got := drainLines(bob); len(got) != 1 || !strings.Contains(got[0], "1. bob (admin)") {
		t.Fatalf("the new den: /users = %q, want bob its admin", got)
	}
}

// TestRoomExpiryRestart: an expired room removed while its remover hangs
// up is gone from the database, so the room created in its place keeps
// its own admin and history across a restart.
func TestRoomExpiryRestart(t *testing.T) {
	t.Parallel()
	const expiry = time.Hour
	path := filepath.Join(t.TempDir(), "chat.db")
	c := newClock()
	st, err := store.Open(t.Context(), path, store.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	h := claimHub(t, st, c, 0, expiry, 0)
	alice := loginFrom(t, h, "alice", "")
	switchTo(alice, "den")
	alice.Input(t.Context(), "old")
	switchTo(alice, "chat")
	c.Advance(expiry)

	bob := loginFrom(t, h, "bob", "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	bob.Input(ctx, "/switch den") // hangs up: creating fails, the removal must not
	carol := loginFrom(t, h, "carol", "")
	switchTo(carol, "den")
	carol.Input(t.Context(), "new")
	must(t, st.Close())

	st, err = store.Open(t.Context(), path, store.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	h = claimHub(t, st, c, 0, expiry, 0)
	carol = loginFrom(t, h, "carol", "")
	switchTo(carol, "den")
	carol.Input(t.Context(), "/users")
	carol.Input(t.Context(), "/history")
	got := strings.Join(drainLines(carol), "")
	if !strings.Contains(got, "1. carol (admin)") || strings.Contains(got, "old") || !strings.Contains(got, "new") {
		t.Fatalf("den after a restart: %q, want carol its admin and her line alone", got)
	}
}

// blockingDelete is an in-memory store whose DeleteRooms tells started
// and waits for release.
type blockingDelete struct {
	*store.Memory
	started, release chan struct{}
}

func (s *blockingDelete) DeleteRooms(ctx context.Context, names []string) error {
	close(s.started)
	<-s.release
	return s.Memory.DeleteRooms(ctx, names)
}

// TestSwitchDuringSweep: a switch to a room that a sweep is removing waits
// for the sweep and enters the room created in its place; it is not
// refused.
func TestSwitchDuringSweep(t *testing.T) {
	t.Parallel()
	st := &blockingDelete{Memory: store.NewMemory(0), started: make(chan struct{}), release: make(chan struct{})}
	_, alice, bob := expiredDen(t, st, time.Hour)

	var aliceGot, bobGot []string
	aliceDone, bobDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(aliceDone); aliceGot = switchTo(alice, "den") }()
	<-st.started
	go func() { defer close(bobDone); bobGot = switchTo(bob, "den") }()
	select { // a refusal comes at once; a switch that waits, after release
	case <-bobDone:
	case <-time.After(100 * time.Millisecond):
	}
	close(st.release)
	<-aliceDone
	<-bobDone
	for who, got := range map[string][]string{"alice": aliceGot, "bob": bobGot} {
		if !slices.Contains(got, "<system> Switched to room 'den'\n") {
			t.Errorf("%s to den during its sweep: %q", who, got)
		}
	}
}

// TestRoomLookAlikeFree: a switch refused as a look-alike of a live room
// does not use the rooms-per-hour allowance.
func TestRoomLookAlikeFree(t *testing.T) {
	t.Parallel()
	h := claimHub(t, nil, newClock(), 2, 0, 0)
	mike := loginFrom(t, h, "mike", "")
	switchTo(mike, "cop")
	for range 3 {
		if got := switchTo(mike, "\u0441\u043e\u0440"); len(got) != 1 || !strings.HasPrefix(got[0], "<system> Room names may only") {
			t.Fatalf("switch to a look-alike of cop: %q", got)
		}
	}
	if got := switchTo(mike, "den"); len(got) == 0 || got[0] != "<system> Switched to room 'den'\n" {
		t.Fatalf("second room after look-alikes: %q", got)
	}
}
