package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// Lines of the ghost tests, as the line doors write them.
const (
	ghostReplaced = "<system> You logged in from another connection.\n"
	ghostLeft     = "<helperbot> mike has left the chat room!\n"
	ghostJoined   = "<helperbot> mike has joined the chat room!\n"
)

// ghostLogin logs mike in on h as a door would: over door, with the SSH
// key keyID ("" for none), proven or not.
func ghostLogin(tb testing.TB, h *chat.Hub, door, keyID string, proven bool) (*chat.Session, error) {
	tb.Helper()
	return h.Login(tb.Context(), "mike", chat.LoginOptions{Door: door, Addr: "127.0.0.1:1", KeyID: keyID, Proven: proven, Outbox: chat.NewOutbox(0)})
}

// TestGhostReplaced: a login that proves a name online replaces the older
// session, whichever door each came by. The older one is told and its
// outbox closed (its door then closes the connection), its room sees it
// leave and then the new one join, and the new one logs in as usual. The
// pairs whose older session came in over telnet can only be proven there
// by a password, which the "passwords" branch adds: here Proven stands in
// for it (a keyless login proven by its door), as it does for the SSH to
// telnet pair, which also needs a password login to get past the name's
// key (skipped until it does).
func TestGhostReplaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		oldDoor, newDoor string
		oldKey, newKey   string // "" for a login proven by a password
	}{
		{"telnet to telnet", "telnet", "telnet", "", ""},
		{"telnet to ssh", "telnet", "ssh", "", "SHA256:mike"},
		{"ssh to telnet", "ssh", "telnet", "SHA256:mike", ""},
		{"ssh to ssh", "ssh", "ssh", "SHA256:mike", "SHA256:mike"},
		{"ssh by password to ssh by key", "ssh", "ssh", "", "SHA256:mike"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
			anna := chattest.Login(t, h, "anna")
			old, err := ghostLogin(t, h, tc.oldDoor, tc.oldKey, tc.oldKey != "")
			if err != nil {
				t.Fatalf("first login: %v", err)
			}
			if tc.oldKey != "" && !h.OwnedBy("mike", tc.oldKey) {
				t.Fatalf("OwnedBy(mike, %s) = false after its login", tc.oldKey)
			}
			old.Input(t.Context(), "/switch den") // the room it leaves is its own, not chat
			bob := chattest.Login(t, h, "bob")
			bob.Input(t.Context(), "/switch den")
			for _, s := range []*chat.Session{old, anna, bob} {
				chattest.Lines(s)
			}

			if tc.newKey == "" {
				h.ProtectBehind("mike") // the password the new login proves, as its door checked it
			}
			s, err := ghostLogin(t, h, tc.newDoor, tc.newKey, true)
			if err != nil {
				t.Fatalf("proven login: %v", err)
			}
			if got := chattest.Lines(old); len(got) != 1 || got[0] != ghostReplaced {
				t.Errorf("the older session got %q, want only %q", got, ghostReplaced)
			}
			if !old.Outbox().Closed() {
				t.Error("the older session's outbox is open: its door would keep the connection")
			}
			want := []string{"<system> Logging in as mike\n", ghostJoined}
			if got := chattest.Lines(s); !slices.Equal(got, want) {
				t.Errorf("the new session got %q, want %q", got, want)
			}
			if got, want := chattest.Lines(bob), []string{ghostLeft}; !slices.Equal(got, want) {
				t.Errorf("den got %q, want %q", got, want)
			}
			if got, want := chattest.Lines(anna), []string{ghostJoined}; !slices.Equal(got, want) {
				t.Errorf("chat got %q, want %q", got, want)
			}
			if got := memberNames(h, "den"); !slices.Equal(got, []string{"bob"}) {
				t.Errorf("den's members: %q, want [bob]", got)
			}
			if got := memberNames(h, "chat"); !slices.Equal(got, []string{"anna", "mike"}) {
				t.Errorf("chat's members: %q, want [anna mike]", got)
			}
			if got := h.Online(); got != 3 {
				t.Errorf("Online() = %d, want 3", got)
			}

			old.Input(t.Context(), "still here?") // a ghost says nothing more
			old.Close()                           // and its door's Close changes nothing
			s.Input(t.Context(), "back")
			if got, want := chattest.Lines(anna), []string{"<mike> back\n"}; !slices.Equal(got, want) {
				t.Errorf("after the ghost's Close, chat got %q, want %q", got, want)
			}
			if got := chattest.Lines(bob); len(got) > 0 {
				t.Errorf("after the ghost's Close, den got %q", got)
			}
		})
	}
}

// memberNames returns the names of the members of room, in order.
func memberNames(h *chat.Hub, room string) []string {
	var out []string
	for _, m := range h.Members(room) {
		out = append(out, m.Name)
	}
	return out
}

// TestGhostNotReplaced: a login that proves nothing finds a name online
// taken, as before; a proven login does not replace a look-alike; and a
// proven login refused for another reason leaves the older session be.
func TestGhostNotReplaced(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st, NamesPerKey: 1, Plugins: []chat.Plugin{helperbot.New()}})
	old, err := ghostLogin(t, h, "telnet", "", false)
	if err != nil {
		t.Fatal(err)
	}
	bindName(t, h, "anna", "SHA256:anna") // the key's one name
	chattest.Lines(old)
	for _, tc := range []struct {
		name, user, keyID string
		proven            bool
		want              error
	}{
		{"not proven", "mike", "", false, chat.ErrNameTaken},
		{"not proven, with a key", "Mike", "SHA256:other", false, chat.ErrNameTaken},
		{"a look-alike", "rnike", "", true, chat.ErrNameTaken},
		{"refused for its key", "mike", "SHA256:anna", true, chat.ErrTooManyNames},
	} {
		_, err := h.Login(t.Context(), tc.user, chat.LoginOptions{Door: "test", KeyID: tc.keyID, Proven: tc.proven, Outbox: chat.NewOutbox(0)})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Login(%s) = %v, want %v", tc.name, tc.user, err, tc.want)
		}
	}
	if got := chattest.Lines(old); len(got) > 0 || old.Outbox().Closed() {
		t.Errorf("the session online got %q (closed: %v), want nothing", got, old.Outbox().Closed())
	}
	if got := memberNames(h, "chat"); !slices.Equal(got, []string{"mike"}) {
		t.Errorf("chat's members: %q, want [mike]", got)
	}
	old.Input(t.Context(), "/room")
	if got, want := chattest.Lines(old), []string{"<system> You're currently in the 'chat' room.\n"}; !slices.Equal(got, want) {
		t.Errorf("/room: %q, want %q", got, want)
	}
}

// TestGhostRace: several logins proving one name at once, with the name
// online, end with exactly one session online by that name and every
// other one told and closed. Their room saw each leave before the next
// join, none lost or doubled, and its members are right.
func TestGhostRace(t *testing.T) {
	t.Parallel()
	const racers = 8
	for round := range 20 {
		h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
		anna := chattest.Login(t, h, "anna")
		first, err := ghostLogin(t, h, "ssh", "SHA256:mike", true)
		if err != nil {
			t.Fatal(err)
		}
		chattest.Lines(anna)
		sessions := []*chat.Session{first}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range racers {
			wg.Go(func() {
				<-start
				s, err := ghostLogin(t, h, "ssh", "SHA256:mike", true)
				if err != nil && !errors.Is(err, chat.ErrReplaced) {
					t.Errorf("racing login: %v", err)
				}
				if s != nil {
					mu.Lock()
					sessions = append(sessions, s)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()

		var online []*chat.Session
		for _, s := range sessions {
			lines := chattest.Lines(s)
			if !s.Outbox().Closed() {
				online = append(online, s)
				continue
			}
			if n := len(lines); n == 0 || lines[n-1] != ghostReplaced {
				t.Errorf("round %d: a replaced session's last lines %q, want %q last", round, lines, ghostReplaced)
			}
		}
		if len(online) != 1 {
			t.Fatalf("round %d: %d sessions of mike online, want 1", round, len(online))
		}
		if got := memberNames(h, "chat"); !slices.Equal(got, []string{"anna", "mike"}) {
			t.Errorf("round %d: chat's members %q, want [anna mike]", round, got)
		}
		if got := h.Online(); got != 2 {
			t.Errorf("round %d: Online() = %d, want 2", round, got)
		}
		// The room saw the first mike leave, then each later one join and
		// all but the last leave: strictly one after the other.
		seen := chattest.Lines(anna)
		for i, l := range seen {
			if want := [...]string{ghostLeft, ghostJoined}[i%2]; l != want {
				t.Fatalf("round %d: chat saw %q, want leave and join lines alternating from a leave", round, seen)
			}
		}
		if len(seen) == 0 || len(seen)%2 != 0 {
			t.Fatalf("round %d: chat saw %q, want leave and join lines ending with a join", round, seen)
		}
		online[0].Input(t.Context(), "the one")
		if got, want := chattest.Lines(anna), []string{"<mike> the one\n"}; !slices.Equal(got, want) {
			t.Errorf("round %d: the one online said %q, want %q", round, got, want)
		}
	}
}

// slowBind is a store whose first BindName waits for release: a login
// that binds a new name is held between taking the name and joining.
type slowBind struct {
	*store.Memory
	once    sync.Once
	held    chan struct{} // closed when the first BindName is waiting
	release chan struct{}
}

func (s *slowBind) BindName(ctx context.Context, n chat.NameRecord) error {
	s.once.Do(func() {
		close(s.held)
		<-s.release
	})
	return s.Memory.BindName(ctx, n)
}

// TestGhostWhileLoggingIn: a proven login replaces an older one that is
// still on its way in (its key's binding being written): that one never
// joins, is told and closed, and its Login returns ErrReplaced; its room
// saw no join of it and so no leave.
func TestGhostWhileLoggingIn(t *testing.T) {
	t.Parallel()
	st := &slowBind{Memory: store.NewMemory(0), held: make(chan struct{}), release: make(chan struct{})}
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	anna := chattest.Login(t, h, "anna")
	chattest.Lines(anna)
	out := chat.NewOutbox(0)
	errc := make(chan error, 1)
	go func() {
		_, err := h.Login(context.Background(), "mike", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:mike", Proven: true, Outbox: out})
		errc <- err
	}()
	<-st.held // mike is bound to the key in memory and holds the name
	s, err := ghostLogin(t, h, "ssh", "SHA256:mike", true)
	if err != nil {
		t.Fatalf("proven login while the first is on its way in: %v", err)
	}
	close(st.release)
	if err := <-errc; !errors.Is(err, chat.ErrReplaced) {
		t.Errorf("the first login returned %v, want ErrReplaced", err)
	}
	if got, want := chat.RefusalText(chat.ErrReplaced), strings.TrimSuffix(strings.TrimPrefix(ghostReplaced, "<system> "), "\n"); got != want {
		t.Errorf("RefusalText(ErrReplaced) = %q, want %q", got, want)
	}
	evs, _, closed := out.Drain(nil)
	if len(evs) != 1 || string(evs[0].Line()) != ghostReplaced || !closed {
		var got []string
		for _, e := range evs {
			got = append(got, string(e.Line()))
		}
		t.Errorf("the first login's outbox: %q (closed: %v), want only %q, closed", got, closed, ghostReplaced)
	}
	if got, want := chattest.Lines(anna), []string{ghostJoined}; !slices.Equal(got, want) {
		t.Errorf("chat got %q, want %q", got, want)
	}
	if got := memberNames(h, "chat"); !slices.Equal(got, []string{"anna", "mike"}) {
		t.Errorf("chat's members %q, want [anna mike]", got)
	}
	if got := h.Online(); got != 2 {
		t.Errorf("Online() = %d, want 2", got)
	}
	s.Close()
	if got := h.Online(); got != 1 {
		t.Errorf("Online() after mike's logout = %d, want 1: a ghost is left", got)
	}
}

// TestOwnedBy: the SSH door's question, whether a key owns a name.
func TestOwnedBy(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	bindName(t, h, "mike", "SHA256:mike")
	for _, tc := range []struct {
		name, keyID string
		want        bool
	}{
		{"mike", "SHA256:mike", true},
		{"MIKE", "SHA256:mike", true},
		{"mike", "SHA256:other", false},
		{"mike", "", false},
		{"anna", "SHA256:mike", false},
		{"bad*name", "SHA256:mike", false},
	} {
		if got := h.OwnedBy(tc.name, tc.keyID); got != tc.want {
			t.Errorf("OwnedBy(%q, %q) = %v, want %v", tc.name, tc.keyID, got, tc.want)
		}
	}
}

// BenchmarkLoginLogout: a login and a logout of a name its key owns, as a
// returning SSH user's, with nobody else online: what Login and Close cost
// with the ghost machinery in place but nothing to replace.
func BenchmarkLoginLogout(b *testing.B) {
	h := chattest.NewHub(b, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	for b.Loop() {
		s, err := h.Login(b.Context(), "mike", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:mike", Proven: true, Outbox: chat.NewOutbox(0)})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkLoginReplace: a login that proves a name online and replaces
// its older session, the older one's leave lines included.
func BenchmarkLoginReplace(b *testing.B) {
	h := chattest.NewHub(b, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	login := func() *chat.Session {
		s, err := h.Login(b.Context(), "mike", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:mike", Proven: true, Outbox: chat.NewOutbox(0)})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	login()
	for b.Loop() {
		login()
	}
}
