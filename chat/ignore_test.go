package chat_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// What an ignored user says reaches neither the ignorer's outbox nor
// their backlog (Recent, Older); everyone else gets it as before.
func TestIgnoredSaysNothing(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	alice, bob, carol := login(t, h, "alice"), login(t, h, "bob"), login(t, h, "carol")
	bob.Input(ctx, "before")
	drainLines(alice)
	drainLines(bob)
	drainLines(carol)

	alice.Input(ctx, "/ignore BOB")
	if got, want := drainLines(alice), []string{"<system> You're now ignoring bob.\n"}; !slices.Equal(got, want) {
		t.Fatalf("/ignore answered %q, want %q", got, want)
	}
	bob.Input(ctx, "hello all")
	bob.Input(ctx, "/me waves")
	bob.Input(ctx, "/w alice psst")
	carol.Input(ctx, "from carol")
	if got, want := drainLines(alice), []string{"<carol> from carol\n"}; !slices.Equal(got, want) {
		t.Errorf("alice got %q, want carol's line alone", got)
	}
	if got, want := drainLines(carol), []string{"<bob> hello all\n", "* bob waves\n"}; !slices.Equal(got, want) {
		t.Errorf("carol got %q, want %q", got, want)
	}
	if got, want := drainLines(bob), []string{"<carol> from carol\n"}; !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q: a whisper to someone who ignores you looks delivered", got, want)
	}
	for _, r := range alice.Recent(10) {
		if r.From == "bob" {
			t.Errorf("alice's Recent has bob's %q", r.Text)
		}
	}
	if got := carol.Recent(10); len(got) != 4 {
		t.Errorf("carol's Recent has %d messages, want 4", len(got))
	}
	alice.Input(ctx, "/history 5")
	if got := drainLines(alice); len(got) != 1 || !historyEnds(got[0], "<carol> from carol\n") {
		t.Errorf("alice's /history 5 = %q, want carol's line alone", got)
	}
	older, err := alice.Older(ctx, math.MaxUint64, 10)
	if err != nil || len(older) != 1 || older[0].From != "carol" {
		t.Errorf("alice's Older = %+v, %v; want carol's message alone", older, err)
	}

	alice.Input(ctx, "/unignore bob")
	bob.Input(ctx, "heard again")
	if got, want := drainLines(alice), []string{"<system> You're no longer ignoring bob.\n", "<bob> heard again\n"}; !slices.Equal(got, want) {
		t.Errorf("after /unignore alice got %q, want %q", got, want)
	}
}

// Older pages past an ignored user's flood: a page holds n messages the
// user may see, and only the last page is short.
func TestOlderSkipsIgnored(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Store: store.NewMemory(0)})
	ctx := t.Context()
	alice, bob, carol := login(t, h, "alice"), login(t, h, "bob"), login(t, h, "carol")
	alice.Input(ctx, "/ignore bob")
	for i := range 5 {
		carol.Input(ctx, "c"+strconv.Itoa(i))
		for range 7 {
			bob.Input(ctx, "flood")
		}
	}
	var got []string
	before := uint64(math.MaxUint64)
	for page := 0; ; page++ {
		msgs, err := alice.Older(ctx, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			got = append(got, msgs[i].Text)
		}
		if len(msgs) < 2 {
			if page != 2 {
				t.Errorf("short page %d, want 2", page)
			}
			break
		}
		before = msgs[0].Seq
	}
	if want := []string{"c4", "c3", "c2", "c1", "c0"}; !slices.Equal(got, want) {
		t.Errorf("alice paged back through %q, want %q", got, want)
	}
}

// Every answer of /ignore and /unignore, in the engine.
func TestIgnoreLines(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	alice := login(t, h, "alice")
	login(t, h, "Bob")
	drainLines(alice)
	tests := []struct{ in, want string }{
		{"/ignore", "You're not ignoring anyone."},
		{"/unignore", "Please specify a username."},
		{"/unignore bob", "You're not ignoring Bob."},
		{"/unignore nobody", "You're not ignoring nobody."},
		{"/ignore alice", "You cannot ignore yourself."},
		{"/ignore ALICE", "You cannot ignore yourself."},
		{"/ignore system", "Could not find someone with that username."},
		{"/ignore helperbot", "Could not find someone with that username."},
		{"/ignore no/slash", "Could not find someone with that username."},
		{"/ignore " + string(make([]byte, 21)), "You're not ignoring anyone."}, // sanitised to nothing: the list
		{"/IGNORE   bob  and more", "You're now ignoring Bob."},
		{"/ignore bOb", "You're already ignoring Bob."},
		{"/ignore ｍａｌｌｏｒｙ", "You're now ignoring mallory."}, // offline, normalised
		{"/ignore", "You're ignoring: Bob, mallory"},
		{"/unignore MALLORY", "You're no longer ignoring mallory."},
		{"/unignore mallory", "You're not ignoring mallory."},
		{"/ignore", "You're ignoring: Bob"},
	}
	systemAnswers(t, alice, tests)
}

// A list is capped at chat.MaxIgnores names.
func TestIgnoreCap(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	alice := login(t, h, "alice")
	for i := range chat.MaxIgnores {
		alice.Input(t.Context(), "/ignore u"+strconv.Itoa(i))
	}
	drainLines(alice)
	alice.Input(t.Context(), "/ignore one-more")
	if got, want := drainLines(alice), []string{"<system> You cannot ignore more than 100 names.\n"}; !slices.Equal(got, want) {
		t.Errorf("/ignore past the cap answered %q, want %q", got, want)
	}
}

// The hub counts the sessions online that ignore someone, so that a
// fan-out looks at no list while nobody does: /ignore, /unignore, logout
// and a login that loads a kept list all keep the count.
func TestIgnoringCount(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	ctx := t.Context()
	alice, bob := login(t, h, "alice"), login(t, h, "bob")
	check := func(when string, want int) {
		t.Helper()
		if got := h.Ignoring(); got != want {
			t.Errorf("%s: %d sessions ignore someone, want %d", when, got, want)
		}
	}
	check("at first", 0)
	alice.Input(ctx, "/ignore bob")
	alice.Input(ctx, "/ignore carol")
	check("alice ignores two", 1)
	bob.Input(ctx, "/ignore alice")
	check("bob too", 2)
	alice.Input(ctx, "/unignore bob")
	check("alice ignores one", 2)
	alice.Input(ctx, "/unignore carol")
	check("alice ignores nobody", 1)
	bob.Close()
	bob.Input(ctx, "/unignore alice") // after logout: nothing
	check("bob logged out", 0)

	dave, err := keyLogin(t, h, "dave", "SHA256:dave")
	if err != nil {
		t.Fatal(err)
	}
	dave.Input(ctx, "/ignore alice")
	dave.Close()
	check("dave logged out", 0)
	if dave, err = keyLogin(t, h, "dave", "SHA256:dave"); err != nil {
		t.Fatal(err)
	}
	check("dave back with his list", 1)
	dave.Close()
	check("dave gone again", 0)
}

// A protected name (owned by the SSH key it logs in with) keeps its list
// across logins and restarts; any other loses it at logout; a name a new
// key binds after the old binding lapsed starts with none.
func TestIgnoreListKept(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := store.NewMemory(0)
	cfg := chat.Config{Store: st, Now: clk.Now, NameExpiry: 24 * time.Hour}
	h := chattest.NewHub(t, cfg)
	ctx := t.Context()
	list := func(s *chat.Session) string {
		t.Helper()
		drainLines(s)
		s.Input(ctx, "/ignore")
		got := drainLines(s)
		if len(got) != 1 {
			t.Fatalf("/ignore answered %q", got)
		}
		return got[0]
	}
	const (
		two  = "<system> You're ignoring: Bob, mallory\n"
		none = "<system> You're not ignoring anyone.\n"
	)

	dave, err := keyLogin(t, h, "dave", "SHA256:one")
	if err != nil {
		t.Fatal(err)
	}
	login(t, h, "Bob")
	dave.Input(ctx, "/ignore bob")
	dave.Input(ctx, "/ignore mallory")
	dave.Input(ctx, "/ignore troll")
	dave.Input(ctx, "/unignore TROLL")
	dave.Close()
	eve := login(t, h, "eve") // no key: not protected
	eve.Input(ctx, "/ignore bob")
	eve.Close()

	h = chattest.NewHub(t, cfg) // a restart
	if dave, err = keyLogin(t, h, "DAVE", "SHA256:one"); err != nil {
		t.Fatal(err)
	}
	if got := list(dave); got != two {
		t.Errorf("dave after a restart: %q, want %q", got, two)
	}
	dave.Close()
	if eve = login(t, h, "eve"); list(eve) != none {
		t.Errorf("eve's list outlived her logout")
	}
	eve.Close()

	clk.Advance(25 * time.Hour) // dave's binding lapses; another key takes the name
	if dave, err = keyLogin(t, h, "dave", "SHA256:two"); err != nil {
		t.Fatal(err)
	}
	if got := list(dave); got != none {
		t.Errorf("the new owner of dave got %q, want %q", got, none)
	}
	dave.Close()
	if dave, err = keyLogin(t, h, "dave", "SHA256:two"); err != nil {
		t.Fatal(err)
	}
	if got := list(dave); got != none {
		t.Errorf("the new owner of dave, again: %q, want %q", got, none)
	}
}

// ignoreFails is an in-memory store whose ignore lists cannot be written.
type ignoreFails struct{ *store.Memory }

var errIgnoreDisk = errors.New("no disk")

func (ignoreFails) SaveIgnore(context.Context, chat.IgnoreRecord) error { return errIgnoreDisk }
func (ignoreFails) DeleteIgnore(context.Context, string, string) error  { return errIgnoreDisk }

// A protected name's list changes only once the store has the change: a
// failed write is told, and the list stays as it was.
func TestIgnoreStoreFails(t *testing.T) {
	t.Parallel()
	st := ignoreFails{store.NewMemory(0)}
	must(t, st.Memory.SaveIgnore(t.Context(), chat.IgnoreRecord{Name: "dave", Ignored: "mallory", Time: t0}))
	must(t, st.BindName(t.Context(), chat.NameRecord{Name: "dave", KeyID: "SHA256:dave", LastUsed: time.Now()}))
	h := chattest.NewHub(t, chat.Config{Store: st}) // dave owned from the start
	dave, err := keyLogin(t, h, "dave", "SHA256:dave")
	if err != nil {
		t.Fatal(err)
	}
	drainLines(dave)
	systemAnswers(t, dave, []struct{ in, want string }{
		{"/ignore bob", "Could not ignore bob, please try again."},
		{"/unignore mallory", "Could not stop ignoring mallory, please try again."},
		{"/ignore", "You're ignoring: mallory"},
	})
	eve := login(t, h, "eve") // not protected: nothing to write
	drainLines(eve)
	systemAnswers(t, eve, []struct{ in, want string }{{"/ignore bob", "You're now ignoring bob."}})
}
