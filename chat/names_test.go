package chat_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// keyLogin logs name in with the SSH key keyID ("" for none).
func keyLogin(tb testing.TB, h *chat.Hub, name, keyID string) (*chat.Session, error) {
	tb.Helper()
	return h.Login(tb.Context(), name, chat.LoginOptions{Door: "test", KeyID: keyID, Outbox: chat.NewOutbox(0)})
}

// bindName logs name in with keyID and out again, so that keyID owns it.
func bindName(tb testing.TB, h *chat.Hub, name, keyID string) {
	tb.Helper()
	s, err := keyLogin(tb, h, name, keyID)
	if err != nil {
		tb.Fatalf("Login(%q, key %s): %v", name, keyID, err)
	}
	s.Close()
}

// TestLoginLookAlikes has every look-alike and invisible name of issue 10
// item 12, with alice and josé owned by keys and bob online.
func TestLoginLookAlikes(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	bindName(t, h, "alice", "SHA256:alice")
	bindName(t, h, "josé", "SHA256:jose")
	chattest.Login(t, h, "bob")
	chattest.Login(t, h, "mike")
	tests := []struct {
		name, in string
		want     error
	}{
		{"cyrillic a", "аlice", chat.ErrNameInvalid},
		{"full-width", "ａｌｉｃｅ", chat.ErrNameOwned},
		{"combining grapheme joiner", "alice\u034F", chat.ErrNameOwned},
		{"decomposed", "jose\u0301", chat.ErrNameOwned},
		{"hangul filler", "\u3164", chat.ErrNameInvalid},
		{"hangul fillers", "\u115F\u1160\uFFA0", chat.ErrNameInvalid},
		{"cyrillic dze system", "ѕystem", chat.ErrNameInvalid},
		{"cyrillic o helperbot", "helperbоt", chat.ErrNameInvalid},
		{"cyrillic o bob", "bоb", chat.ErrNameInvalid},
		{"capital I for l", "aIice", chat.ErrNameTaken},
		{"zero for o, reserved", "helperb0t", chat.ErrNameReserved},
		{"upper-case system", "SYSTEM", chat.ErrNameReserved},
		{"zero for o, online", "b0b", chat.ErrNameTaken},
		{"full-width online", "ｂｏｂ", chat.ErrNameTaken},
		{"cyrillic look-alike of an owned name", "аІісе", chat.ErrNameTaken}, // all Cyrillic
		{"cyrillic palochka", "аӏісе", chat.ErrNameTaken},                    // all Cyrillic
		{"small capital M", "ᴍike", chat.ErrNameTaken},
		{"one for l", "a1ice", chat.ErrNameTaken},
		{"cyrillic system", "ѕуѕтем", chat.ErrNameReserved}, // all Cyrillic
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := keyLogin(t, h, tc.in, ""); !errors.Is(err, tc.want) {
				t.Errorf("Login(%q) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
	// The owners get in, and a name that only differs is free.
	for _, ok := range []struct{ name, key, want string }{
		{"ａｌｉｃｅ", "SHA256:alice", "alice"},
		{"jose\u0301", "SHA256:jose", "josé"},
		{"alicia", "", "alicia"},
	} {
		s, err := keyLogin(t, h, ok.name, ok.key)
		if err != nil {
			t.Fatalf("Login(%q, key %s): %v", ok.name, ok.key, err)
		}
		if s.Name() != ok.want {
			t.Errorf("Login(%q).Name() = %q, want %q", ok.name, s.Name(), ok.want)
		}
	}
}

// TestBanLookAlike: a ban of bob keeps out the names that look like bob.
func TestBanLookAlike(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	ctx := t.Context()
	must(t, st.CreateRoom(ctx, chat.RoomRecord{Name: "ops", Creator: "mike"}))
	must(t, st.SaveBan(ctx, chat.BanRecord{Room: "ops", Name: "bob", By: helperbot.Name}))
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	for _, tc := range []struct {
		name   string
		banned bool
	}{
		{"BOB", true},
		{"b0b", true},
		{"ｂｏｂ", true},
		{"rob", false},
	} {
		s := chattest.Login(t, h, tc.name)
		chattest.Lines(s)
		s.Input(ctx, "/switch ops")
		got := strings.Join(chattest.Lines(s), "")
		if banned := strings.Contains(got, "You're banned from this room"); banned != tc.banned {
			t.Errorf("%s: /switch ops answered %q, want banned %v", tc.name, got, tc.banned)
		}
		s.Close()
	}
}

// TestRoomLookAlike: /switch cannot make a room that looks like another.
func TestRoomLookAlike(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	s := chattest.Login(t, h, "mike")
	ctx := t.Context()
	s.Input(ctx, "/switch cop")
	s.Input(ctx, "/switch chat")
	chattest.Lines(s)
	const refused = "<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32).\n"
	for _, tc := range []struct{ in, want string }{
		{"сhat", refused}, // Cyrillic с in Latin
		{"сор", refused},  // all Cyrillic, looks like cop
		{"chat\u034F", "<system> You're already in the 'chat' room.\n"},
		{"ｃｈａｔ", "<system> You're already in the 'chat' room.\n"},
		{"ＣＯＰ", "<system> Switched to room 'cop'\n"},
	} {
		s.Input(ctx, "/switch "+tc.in)
		if got := strings.Join(chattest.Lines(s), ""); !strings.HasPrefix(got, tc.want) {
			t.Errorf("/switch %q answered %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := len(h.Rooms()); n != 2 {
		t.Errorf("%d rooms, want 2 (chat, cop): %v", n, h.Rooms())
	}
}

func TestNamesPerKey(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{NamesPerKey: 2})
	bindName(t, h, "anna", "k1")
	bindName(t, h, "bert", "k1")
	_, err := keyLogin(t, h, "carl", "k1")
	if !errors.Is(err, chat.ErrTooManyNames) {
		t.Fatalf("third name of k1: %v, want ErrTooManyNames", err)
	}
	if got, want := chat.RefusalText(err), "Your SSH key already owns 2 names, please log in with one of them."; got != want {
		t.Errorf("RefusalText = %q, want %q", got, want)
	}
	bindName(t, h, "anna", "k1") // a name it owns
	bindName(t, h, "carl", "k2") // another key
	if _, err := keyLogin(t, h, "dora", ""); err != nil {
		t.Errorf("no key: %v", err)
	}
}

// TestNameExpiry: a binding lapses after NameExpiry without use, a login
// refreshes it, and both hold across a restart, on either store.
func TestNameExpiry(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		st := store.NewMemory(0)
		testNameExpiry(t, func() chat.Store { return st })
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "chat.db")
		var st *store.SQLite
		testNameExpiry(t, func() chat.Store {
			if st != nil {
				must(t, st.Close())
			}
			var err error
			st, err = store.Open(t.Context(), path, store.Options{})
			must(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
}

// testNameExpiry runs TestNameExpiry on the store that restart returns,
// which is the store of before as a restarted server finds it.
func testNameExpiry(t *testing.T, restart func() chat.Store) {
	clk := newClock()
	cfg := chat.Config{Store: restart(), Now: clk.Now, NameExpiry: 24 * time.Hour, NamesPerKey: 2}
	h := chattest.NewHub(t, cfg)
	bindName(t, h, "alice", "k1")
	bindName(t, h, "carol", "k1")

	clk.Advance(20 * time.Hour)
	bindName(t, h, "carol", "k1") // refreshes carol
	if _, err := keyLogin(t, h, "alice", "k2"); !errors.Is(err, chat.ErrNameOwned) {
		t.Fatalf("alice after 20h: %v, want ErrNameOwned", err)
	}

	clk.Advance(5 * time.Hour) // alice unused for 25h, carol for 5h
	bindName(t, h, "alice", "k2")
	if _, err := keyLogin(t, h, "carol", "k2"); !errors.Is(err, chat.ErrNameOwned) {
		t.Fatalf("carol 5h after its refresh: %v, want ErrNameOwned", err)
	}
	bindName(t, h, "dave", "k1") // k1 owns carol only now

	// A restart: k2 owns alice, k1 carol and dave.
	clk.Advance(10 * time.Hour)
	cfg.Store = restart()
	h = chattest.NewHub(t, cfg)
	if _, err := keyLogin(t, h, "alice", "k1"); !errors.Is(err, chat.ErrNameOwned) {
		t.Errorf("alice after a restart: %v, want ErrNameOwned", err)
	}
	if _, err := keyLogin(t, h, "eve", "k1"); !errors.Is(err, chat.ErrTooManyNames) {
		t.Errorf("a third name of k1 after a restart: %v, want ErrTooManyNames", err)
	}
	clk.Advance(15 * time.Hour) // carol unused for 30h: lapsed at load
	cfg.Store = restart()
	h = chattest.NewHub(t, cfg)
	bindName(t, h, "carol", "k2")
	bindName(t, h, "eve", "k1")
}

// oldStore is an in-memory store that loads rooms as a store written with
// an older Fold may hold them.
type oldStore struct {
	*store.Memory
	rooms []chat.RoomRecord
}

func (s *oldStore) Load(ctx context.Context) (chat.Snapshot, error) {
	snap, err := s.Memory.Load(ctx)
	snap.Rooms = append(s.rooms, snap.Rooms...)
	return snap, err
}

// TestLoadFoldCollisions: rooms and names of a store written before names
// were normalised may fold together now; the first is kept.
func TestLoadFoldCollisions(t *testing.T) {
	t.Parallel()
	// Today's stores refuse a second café: this one was written before.
	st := &oldStore{Memory: store.NewMemory(0), rooms: []chat.RoomRecord{{Name: "café", Creator: "anna"}, {Name: "cafe\u0301", Creator: "bert"}}}
	ctx := t.Context()
	must(t, st.BindName(ctx, chat.NameRecord{Name: "jose\u0301", KeyID: "k1"}))
	must(t, st.BindName(ctx, chat.NameRecord{Name: "josé", KeyID: "k2"}))
	var warns strings.Builder
	h := chattest.NewHub(t, chat.Config{Store: st, Logger: slog.New(slog.NewTextHandler(&warns, nil))})
	if rooms := h.Rooms(); len(rooms) != 2 || rooms[1].Name != "café" {
		t.Errorf("rooms = %+v, want chat and café", rooms)
	}
	if !strings.Contains(warns.String(), "room not loaded") {
		t.Errorf("no warning of the second café in %q", warns.String())
	}
	owned := 0
	for _, k := range []string{"k1", "k2"} {
		if s, err := keyLogin(t, h, "josé", k); err == nil {
			owned++
			s.Close()
		}
	}
	if owned != 1 {
		t.Errorf("josé logs in with %d of its two keys, want 1", owned)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// TestNamesPerKeyConcurrent: logins of one key racing for new names bind
// no more than the cap.
func TestNamesPerKeyConcurrent(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{NamesPerKey: 3})
	var wg sync.WaitGroup
	var mu sync.Mutex
	in, refused := 0, 0
	for i := range 20 {
		wg.Go(func() {
			_, err := keyLogin(t, h, "user"+strconv.Itoa(i), "k1")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				in++
			case errors.Is(err, chat.ErrTooManyNames):
				refused++
			default:
				t.Errorf("login: %v", err)
			}
		})
	}
	wg.Wait()
	if in != 3 || refused != 17 {
		t.Errorf("%d logins in and %d refused, want 3 and 17", in, refused)
	}
}

// TestOwnersOfLookAlikes: two names that look alike, both owned from
// before look-alikes were refused, each get in with their own key.
func TestOwnersOfLookAlikes(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	must(t, st.BindName(t.Context(), chat.NameRecord{Name: "alice", KeyID: "k1"}))
	must(t, st.BindName(t.Context(), chat.NameRecord{Name: "aIice", KeyID: "k2"}))
	h := chattest.NewHub(t, chat.Config{Store: st})
	bindName(t, h, "alice", "k1")
	bindName(t, h, "aIice", "k2")
	if _, err := keyLogin(t, h, "aIice", "k1"); !errors.Is(err, chat.ErrNameOwned) {
		t.Errorf("aIice with alice's key: %v, want ErrNameOwned", err)
	}
}

// lockCheck is a log handler that notes the messages logged while its
// hub's lock is held, which CONCURRENCY.md forbids.
type lockCheck struct {
	slog.Handler
	hub    atomic.Pointer[chat.Hub]
	mu     sync.Mutex
	locked []string
}

func (l *lockCheck) Handle(ctx context.Context, r slog.Record) error {
	if h := l.hub.Load(); h != nil && h.Locked() {
		l.mu.Lock()
		l.locked = append(l.locked, r.Message)
		l.mu.Unlock()
	}
	return l.Handler.Handle(ctx, r)
}

// TestNoLogUnderLock: logins that drop lapsed bindings, by name, by
// look-alike and at a key's cap, log them once the hub's lock is released.
func TestNoLogUnderLock(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	check := &lockCheck{Handler: slog.NewTextHandler(&logs, nil)}
	clk := newClock()
	h := chattest.NewHub(t, chat.Config{Now: clk.Now, NameExpiry: time.Hour, NamesPerKey: 1, Logger: slog.New(check)})
	check.hub.Store(h)
	bindName(t, h, "alice", "k1")
	bindName(t, h, "mom", "k2")
	clk.Advance(2 * time.Hour)
	bindName(t, h, "alice", "k3") // alice's binding lapsed
	bindName(t, h, "rnom", "k4")  // a look-alike of mom's lapsed binding
	clk.Advance(2 * time.Hour)
	bindName(t, h, "carol", "k3") // k3 at its cap, alice lapsed
	if n := strings.Count(logs.String(), "name binding lapsed"); n != 3 {
		t.Errorf("%d lapses logged, want 3:\n%s", n, logs.String())
	}
	check.mu.Lock()
	defer check.mu.Unlock()
	if len(check.locked) > 0 {
		t.Errorf("logged under the hub's lock: %q", check.locked)
	}
}

// TestBindsPerAddr: keys cost nothing to make, so one address binds at
// most BindsPerAddrHour new names an hour; past it the login goes on with
// the name unowned, and another address's key may take it. An hour later
// the address may bind again.
func TestBindsPerAddr(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := chattest.NewHub(t, chat.Config{Now: c.Now})
	login := func(name, keyID, addr string) error {
		s, err := h.Login(t.Context(), name, chat.LoginOptions{Door: "test", KeyID: keyID, Addr: addr, Outbox: chat.NewOutbox(0)})
		if err == nil {
			s.Close()
		}
		return err
	}
	const squatter = "192.0.2.7:40000"
	for i := range chat.BindsPerAddrHour {
		n := "sq" + strconv.Itoa(i)
		if err := login(n, "key"+n, squatter); err != nil {
			t.Fatalf("new name %d from one address: %v", i, err)
		}
	}
	if err := login("extra", "key-extra", squatter); err != nil {
		t.Fatalf("a name past the cap: %v, want a login with the name unowned", err)
	}
	if err := login("extra", "key-other", "198.51.100.1:50000"); err != nil {
		t.Errorf("another key on the unowned name: %v, want it in", err)
	}
	if err := login("sq0", "key-other", "198.51.100.1:50000"); !errors.Is(err, chat.ErrNameOwned) {
		t.Errorf("a name bound before the cap, with another key: %v, want ErrNameOwned", err)
	}
	c.Advance(time.Hour)
	if err := login("later", "key-later", squatter); err != nil {
		t.Fatal(err)
	}
	if err := login("later", "key-other2", "198.51.100.2:50000"); !errors.Is(err, chat.ErrNameOwned) {
		t.Errorf("a name bound an hour later, with another key: %v, want ErrNameOwned", err)
	}
}

// openSQLite opens a store in a file of its own, closed at the test's end.
func openSQLite(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "chat.db"), store.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// TestLookAlikeTwins: an older store may hold two rooms, bans or owned
// names that look alike; when the one loaded first goes (its room expires,
// its ban is lifted, its name lapses), the other still keeps its
// look-alikes out.
func TestLookAlikeTwins(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	t.Run("room", func(t *testing.T) {
		t.Parallel()
		st := openSQLite(t)
		ctx := t.Context()
		must(t, st.CreateRoom(ctx, chat.RoomRecord{Name: "cop", Creator: "mike", Created: t0})) // expires
		must(t, st.CreateRoom(ctx, chat.RoomRecord{Name: "c0p", Creator: "mike", Created: t0}))
		must(t, st.SaveBan(ctx, chat.BanRecord{Room: "c0p", Name: "eve", By: helperbot.Name, Time: t0}))
		clk := newClock()
		clk.Advance(31 * day)
		h := chattest.NewHub(t, chat.Config{Store: st, Now: clk.Now, RoomExpiry: 30 * day})
		if n := len(h.Rooms()); n != 2 {
			t.Fatalf("%d rooms, want 2 (chat, c0p): %v", n, h.Rooms())
		}
		s := chattest.Login(t, h, "mike")
		chattest.Lines(s)
		s.Input(ctx, "/switch сор") // all Cyrillic
		want := "<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32).\n"
		if got := strings.Join(chattest.Lines(s), ""); got != want {
			t.Errorf("/switch сор beside c0p answered %q, want %q", got, want)
		}
	})
	t.Run("ban", func(t *testing.T) {
		t.Parallel()
		st := openSQLite(t)
		ctx := t.Context()
		must(t, st.CreateRoom(ctx, chat.RoomRecord{Name: "ops", Creator: "mike", Created: t0}))
		must(t, st.SaveBan(ctx, chat.BanRecord{Room: "ops", Name: "alice", By: helperbot.Name, Time: t0}))
		must(t, st.SaveBan(ctx, chat.BanRecord{Room: "ops", Name: "aIice", By: helperbot.Name, Time: t0.Add(time.Minute)}))
		h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
		mike := chattest.Login(t, h, "mike")
		mike.Input(ctx, "/switch ops")
		mike.Input(ctx, "/unban alice")
		if got := strings.Join(chattest.Lines(mike), ""); !strings.Contains(got, "alice") || strings.Contains(got, "aIice") {
			t.Fatalf("/unban alice answered %q", got)
		}
		s := chattest.Login(t, h, "a1ice")
		chattest.Lines(s)
		s.Input(ctx, "/switch ops")
		if got := strings.Join(chattest.Lines(s), ""); !strings.Contains(got, "You're banned from this room") {
			t.Errorf("a1ice, with aIice banned: /switch ops answered %q", got)
		}
	})
	t.Run("name", func(t *testing.T) {
		t.Parallel()
		st := openSQLite(t)
		ctx := t.Context()
		must(t, st.BindName(ctx, chat.NameRecord{Name: "aIice", KeyID: "k2", LastUsed: t0})) // lapses
		must(t, st.BindName(ctx, chat.NameRecord{Name: "alice", KeyID: "k1", LastUsed: t0.Add(100 * day)}))
		clk := newClock()
		clk.Advance(150 * day)
		h := chattest.NewHub(t, chat.Config{Store: st, Now: clk.Now, NameExpiry: 180 * day})
		clk.Advance(50 * day)
		if _, err := keyLogin(t, h, "a1ice", ""); !errors.Is(err, chat.ErrNameTaken) {
			t.Errorf("a1ice, with alice owned: %v, want ErrNameTaken", err)
		}
	})
}
