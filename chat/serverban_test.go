package chat_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// opts are the login options of a user on a line door with the SSH key
// keyID ("" for none) from addr, a server operator if op.
func opts(keyID, addr string, op bool) chat.LoginOptions {
	return chat.LoginOptions{Door: "ssh", KeyID: keyID, Addr: addr, Operator: op, Outbox: chat.NewOutbox(0)}
}

// loginWith logs name in with o and drains what login sent.
func loginWith(t *testing.T, h *chat.Hub, name string, o chat.LoginOptions) *chat.Session {
	t.Helper()
	s, err := h.Login(t.Context(), name, o)
	if err != nil {
		t.Fatalf("Login(%q): %v", name, err)
	}
	drainLines(s)
	return s
}

// TestServerBanEndsOnTime: a /gban for 10m bans the name (and look-alikes),
// the key and the address (an IPv6 one by its /64) the user was online
// with; it holds across a restart 9 minutes later and ends 10 minutes
// after it was made, to the second, on either store.
func TestServerBanEndsOnTime(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		st := store.NewMemory(0)
		testServerBanEndsOnTime(t, func() chat.Store { return st })
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "chat.db")
		var st *store.SQLite
		testServerBanEndsOnTime(t, func() chat.Store {
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

func testServerBanEndsOnTime(t *testing.T, restart func() chat.Store) {
	clk := newClock()
	cfg := chat.Config{Store: restart(), Now: clk.Now, Plugins: []chat.Plugin{helperbot.New()}}
	h := chattest.NewHub(t, cfg)
	op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1000", true))
	troll := loginWith(t, h, "troll", opts("SHA256:troll", "[2001:db8::1]:2000", false))
	drainLines(op)

	op.Input(t.Context(), "/gban TROLL 10m")
	if got, want := drainLines(troll), []string{"<system> You've been banned from this server.\n"}; !slices.Equal(got, want) {
		t.Errorf("troll got %q, want %q", got, want)
	}
	if !troll.Outbox().Closed() {
		t.Error("troll's outbox is open after the ban")
	}
	want := []string{"<helperbot> troll has left the chat room!\n", "<helperbot> troll is banned from this server for 10m.\n"}
	if got := drainLines(op); !slices.Equal(got, want) {
		t.Errorf("root got %q, want %q", got, want)
	}

	clk.Advance(9 * time.Minute)
	cfg.Store = restart()
	h = chattest.NewHub(t, cfg)
	op = loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1000", true))
	op.Input(t.Context(), "/gbans")
	until := t0.Add(10 * time.Minute).Local().Format("2006-01-02 15:04")
	want = []string{"<helperbot> Banned from this server:\n<helperbot> 1. troll key SHA256:troll from 2001:db8::1 (until " + until + ")\n"}
	if got := drainLines(op); !slices.Equal(got, want) {
		t.Errorf("/gbans after the restart: %q, want %q", got, want)
	}
	refused := []struct {
		name string
		o    chat.LoginOptions
	}{
		{"troll", opts("", "10.0.0.2:1", false)},
		{"tr0ll", opts("", "10.0.0.2:1", false)}, // a look-alike
		{"anna", opts("SHA256:troll", "10.0.0.2:1", false)},
		{"bert", opts("", "[2001:db8::2]:3000", false)}, // the same /64
	}
	check := func(banned bool) {
		t.Helper()
		for _, tc := range refused {
			s, err := h.Login(t.Context(), tc.name, tc.o)
			if banned && !errors.Is(err, chat.ErrServerBanned) {
				t.Errorf("Login(%s, key %q, from %s) = %v, want ErrServerBanned", tc.name, tc.o.KeyID, tc.o.Addr, err)
			}
			if !banned && errors.Is(err, chat.ErrServerBanned) { // troll's name is still its key's
				t.Errorf("Login(%s, key %q, from %s) after the ban ended: %v", tc.name, tc.o.KeyID, tc.o.Addr, err)
			}
			if err == nil {
				s.Close()
			}
			if got := h.ServerBanned(tc.name, tc.o.KeyID, tc.o.Addr); got != banned {
				t.Errorf("ServerBanned(%s, %q, %s) = %v, want %v", tc.name, tc.o.KeyID, tc.o.Addr, got, banned)
			}
		}
	}
	check(true)
	if got := chat.RefusalText(chat.ErrServerBanned); got != chat.TextServerBanned {
		t.Errorf("RefusalText = %q, want %q", got, chat.TextServerBanned)
	}
	clk.Advance(time.Minute - time.Second)
	check(true)
	clk.Advance(time.Second)
	check(false)
	drainLines(op)
	op.Input(t.Context(), "/gbans")
	if got, want := drainLines(op), []string{"<helperbot> Nobody is banned from this server.\n"}; !slices.Equal(got, want) {
		t.Errorf("/gbans once the ban ended: %q, want %q", got, want)
	}
}

// TestServerBanOffline: a name that is not online is banned with the key
// that owns it; /gban again replaces the ban; /gunban lifts it with its
// key, and a second /gunban finds none.
func TestServerBanOffline(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	loginWith(t, h, "Owned", opts("SHA256:k", "10.0.0.5:1", false)).Close()
	op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1", true))
	for _, step := range []struct{ in, want string }{
		{"/gban owned 1d", "<helperbot> owned is banned from this server for 1d.\n"},
		{"/gban owned", "<helperbot> owned is banned from this server.\n"},
		{"/gbans", "<helperbot> Banned from this server:\n<helperbot> 1. owned key SHA256:k (for good)\n"},
		{"/gban nobody 2h", "<helperbot> nobody is banned from this server for 2h.\n"},
		{"/gban x 0m", "<helperbot> Durations look like 30m, 2h or 7d.\n"},
		{"/gban x 366d", "<helperbot> Durations look like 30m, 2h or 7d.\n"},
		{"/gban", "<helperbot> Could not find someone with that username.\n"},
		{"/gban system", "<helperbot> Could not find someone with that username.\n"},
		{"/gunban OWNED", "<helperbot> owned is no longer banned from this server.\n"},
		{"/gunban owned", "<helperbot> owned is not banned from this server.\n"},
		{"/gunban", "<helperbot> Please specify a username to unban.\n"},
	} {
		op.Input(t.Context(), step.in)
		if got := drainLines(op); !slices.Equal(got, []string{step.want}) {
			t.Errorf("%s: got %q, want %q", step.in, got, step.want)
		}
	}
	if h.ServerBanned("", "SHA256:k", "") {
		t.Error("the key is still banned after /gunban")
	}
	if !h.ServerBanned("nobody", "", "") {
		t.Error("nobody is not banned")
	}
}

// TestSetOperators: a reload of the operators file grants and revokes
// rights of users online without logging them out, and a login that
// raced the reload with the old answer keeps no revoked rights and gets
// those granted.
func TestSetOperators(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	old := loginWith(t, h, "old", opts("SHA256:old", "", true))
	fresh := loginWith(t, h, "fresh", opts("SHA256:new", "", false))
	loginWith(t, h, "plain", opts("", "", false))
	changed := h.SetOperators(func(k string) bool { return k == "SHA256:new" })
	want := map[string]bool{"old": false, "fresh": true}
	if len(changed) != 2 {
		t.Fatalf("SetOperators changed %+v, want old and fresh", changed)
	}
	for _, c := range changed {
		if w, ok := want[c.Name]; !ok || w != c.Operator {
			t.Errorf("change %+v, want %v", c, want)
		}
	}
	for _, m := range h.Members(chat.DefaultRoom) {
		if m.Operator != (m.Name == "fresh") {
			t.Errorf("member %+v after the reload", m)
		}
	}
	drainLines(old)
	drainLines(fresh)
	old.Input(t.Context(), "/gbans")
	fresh.Input(t.Context(), "/gbans")
	if got := drainLines(old); !slices.Equal(got, []string{"<helperbot> You must be a server operator to do that.\n"}) {
		t.Errorf("old after the revoke: %q", got)
	}
	if got := drainLines(fresh); !slices.Equal(got, []string{"<helperbot> Nobody is banned from this server.\n"}) {
		t.Errorf("fresh after the grant: %q", got)
	}
	late := loginWith(t, h, "late", opts("SHA256:old", "", true)) // the door looked before the reload
	late.Input(t.Context(), "/gbans")
	if got := drainLines(late); !slices.Equal(got, []string{"<helperbot> You must be a server operator to do that.\n"}) {
		t.Errorf("a login with a revoked key: %q", got)
	}
	early := loginWith(t, h, "early", opts("SHA256:new", "", false)) // the door looked before the reload
	early.Input(t.Context(), "/gbans")
	if got := drainLines(early); !slices.Equal(got, []string{"<helperbot> Nobody is banned from this server.\n"}) {
		t.Errorf("a login with a key granted by the reload: %q", got)
	}
}

// TestServerBanSparesOperators: an operator who bans a user on their own
// address, or even their own name, still gets in with their key; anyone
// else from that address does not.
func TestServerBanSparesOperators(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1", true))
	loginWith(t, h, "mate", opts("", "10.0.0.1:2", false))
	op.Input(t.Context(), "/gban mate")
	op.Input(t.Context(), "/gban root")
	op.Close()
	loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:3", true)).Close()
	if _, err := h.Login(t.Context(), "other", opts("", "10.0.0.1:4", false)); !errors.Is(err, chat.ErrServerBanned) {
		t.Errorf("another user from the banned address: %v, want ErrServerBanned", err)
	}
	if _, err := h.Login(t.Context(), "root", opts("SHA256:op", "10.0.0.1:3", false)); !errors.Is(err, chat.ErrServerBanned) {
		t.Errorf("the operator's key once out of the file: %v, want ErrServerBanned", err)
	}
}

// TestServerBanAgainKeepsKeyAndAddress: a /gban of a name banned already
// (to change its time, or of a look-alike of it), once the troll is
// offline, replaces the ban without lifting the key and the address it was
// made with: the troll cannot come back under another name.
func TestServerBanAgainKeepsKeyAndAddress(t *testing.T) {
	t.Parallel()
	for _, again := range []string{"/gban troll", "/gban TROLL 2h", "/gban tr0ll"} {
		t.Run(again, func(t *testing.T) {
			t.Parallel()
			h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
			op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1", true))
			loginWith(t, h, "troll", opts("SHA256:troll", "[2001:db8::1]:2", false))
			op.Input(t.Context(), "/gban troll 1h")
			op.Input(t.Context(), again)
			drainLines(op)
			if !h.ServerBanned("", "SHA256:troll", "") {
				t.Errorf("after %q the troll's key is no longer banned", again)
			}
			if !h.ServerBanned("", "", "[2001:db8::2]:3") {
				t.Errorf("after %q the troll's address is no longer banned", again)
			}
			if _, err := h.Login(t.Context(), "other", opts("SHA256:troll", "10.0.0.9:4", false)); !errors.Is(err, chat.ErrServerBanned) {
				t.Errorf("after %q the troll's key logs in as another name: %v, want ErrServerBanned", again, err)
			}
		})
	}
}

// saveBanFailing is a memory store whose SaveServerBan fails once armed.
type saveBanFailing struct {
	*store.Memory
	fail bool
}

func (s *saveBanFailing) SaveServerBan(ctx context.Context, rec chat.ServerBanRecord) error {
	if s.fail {
		return errors.New("disk full")
	}
	return s.Memory.SaveServerBan(ctx, rec)
}

// TestServerBanStoreFails: a /gban of a look-alike of a name banned
// already, which the store cannot keep, is refused and changes nothing,
// on disk as in memory: the first ban is still there after a restart.
func TestServerBanStoreFails(t *testing.T) {
	t.Parallel()
	st := &saveBanFailing{Memory: store.NewMemory(0)}
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1", true))
	op.Input(t.Context(), "/gban troll")
	st.fail = true
	op.Input(t.Context(), "/gban tr0ll")
	want := []string{"<helperbot> troll is banned from this server.\n", "<helperbot> Could not ban tr0ll, please try again.\n"}
	if got := drainLines(op); !slices.Equal(got, want) {
		t.Errorf("root got %q, want %q", got, want)
	}
	snap, err := st.Load(t.Context())
	must(t, err)
	if len(snap.ServerBans) != 1 || snap.ServerBans[0].Name != "troll" {
		t.Errorf("the store keeps %+v, want troll's ban", snap.ServerBans)
	}
}

// TestNoBanFromChat: 'chat' is where everyone lands (at login, kicked or
// banned from another room), so nobody can be banned from it, not even
// by an operator: a ban there would leave its troll in any room they are
// banned from, as they could not be sent back to 'chat'.
func TestNoBanFromChat(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	op := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1", true))
	troll := loginWith(t, h, "troll", opts("", "10.0.0.2:1", false))
	drainLines(op)
	op.Input(t.Context(), "/ban troll")
	if got, want := drainLines(op), []string{"<helperbot> 'chat' is open to everyone.\n"}; !slices.Equal(got, want) {
		t.Errorf("/ban in chat: got %q, want %q", got, want)
	}
	op.Input(t.Context(), "/switch den")
	troll.Input(t.Context(), "/switch den")
	drainLines(op)
	drainLines(troll)
	op.Input(t.Context(), "/ban troll")
	if got, want := drainLines(troll), []string{"<helperbot> troll has joined the chat room!\n",
		"<helperbot> You've been banned from the 'den' room. You've been returned to 'chat'.\n"}; !slices.Equal(got, want) {
		t.Errorf("troll banned from den got %q, want %q", got, want)
	}
	if r := troll.Room(); r != "chat" {
		t.Errorf("troll banned from den is in %q, want chat", r)
	}
}
