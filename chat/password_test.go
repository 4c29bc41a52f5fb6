package chat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// sys is a system line as the line door writes it.
func sys(text string) string { return "<system> " + text + "\n" }

// lastLine returns the last line s was sent, draining the rest.
func lastLine(t *testing.T, s *chat.Session) string {
	t.Helper()
	lines := chattest.Lines(s)
	if len(lines) == 0 {
		t.Fatalf("%s was sent nothing", s.Name())
	}
	return lines[len(lines)-1]
}

// TestPasswordCommand: /password's every line, from PROTOCOL.md.
func TestPasswordCommand(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(chat.PasswordEvery); return now }
	h := chattest.NewHub(t, chat.Config{Now: clock}) // every /password is PasswordEvery after the last
	mike := chattest.Login(t, h, "mike")
	chattest.Lines(mike)
	for _, tc := range []struct{ name, line, want string }{
		{"missing", "/password", "Please specify a password of at least 8 characters."},
		{"too short", "/password 1234567", "Please specify a password of at least 8 characters."},
		{"short in characters, long in bytes", "/password ééééééé", "Please specify a password of at least 8 characters."},
		{"set", "/password correct horse", "Your name is now protected by a password."},
		{"changed", "/PASSWORD battery staple", "Your password has been changed."},
	} {
		mike.Input(t.Context(), tc.line)
		if got := lastLine(t, mike); got != sys(tc.want) {
			t.Errorf("%s: %q answered %q, want %q", tc.name, tc.line, got, sys(tc.want))
		}
	}
	if !mike.Proven() || !h.Protected("MIKE") {
		t.Errorf("after /password: proven %v, protected %v; want both", mike.Proven(), h.Protected("MIKE"))
	}
	if err := h.CheckPassword(t.Context(), "mike", "correct horse", "127.0.0.1:1"); !errors.Is(err, chat.ErrWrongPassword) {
		t.Errorf("the old password: %v, want ErrWrongPassword", err)
	}
	if err := h.CheckPassword(t.Context(), "Mike", "battery staple", "127.0.0.1:1"); err != nil {
		t.Errorf("the new password: %v, want nil", err)
	}

	// A name protected behind the session's back is not the session's to change.
	anna := chattest.Login(t, h, "anna")
	chattest.Lines(anna)
	h.ProtectBehind("anna")
	anna.Input(t.Context(), "/password something long")
	if got, want := lastLine(t, anna), sys("Only the owner of this name may change its password."); got != want {
		t.Errorf("/password of a name protected by another: %q, want %q", got, want)
	}
}

// TestPasswordLogin: a name with a password is refused to a login that
// did not prove it, whatever looks like it is taken, and a proven login
// is the same person as the one who set it: same ignore list, kept in
// the store across a new hub on the same store.
func TestPasswordLogin(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st})
	mike := chattest.Login(t, h, "mike")
	mike.Input(t.Context(), "/ignore troll") // before the name is protected: kept from then on
	mike.Input(t.Context(), "/password hunter2hunter2")
	mike.Close()

	h2 := chattest.NewHub(t, chat.Config{Store: st}) // a restart
	for _, h := range []*chat.Hub{h, h2} {
		out := func() chat.LoginOptions { return chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0)} }
		if _, err := h.Login(t.Context(), "mike", out()); !errors.Is(err, chat.ErrWrongPassword) {
			t.Fatalf("login without the password: %v, want ErrWrongPassword", err)
		}
		if _, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "test", KeyID: "SHA256:other", Outbox: chat.NewOutbox(0)}); !errors.Is(err, chat.ErrWrongPassword) {
			t.Fatalf("login with a key, without the password: %v, want ErrWrongPassword", err)
		}
		if _, err := h.Login(t.Context(), "ｍｉｋｅ", out()); !errors.Is(err, chat.ErrWrongPassword) {
			t.Fatalf("login as the same name in full width: %v, want ErrWrongPassword", err)
		}
		if _, err := h.Login(t.Context(), "rnike", out()); !errors.Is(err, chat.ErrNameTaken) {
			t.Fatalf("login as a look-alike: %v, want ErrNameTaken", err)
		}
		if err := h.CheckPassword(t.Context(), "mike", "  hunter2hunter2 ", "127.0.0.1:1"); err != nil {
			t.Fatalf("the password, typed with spaces around: %v", err)
		}
		o := out()
		o.Proven = true
		s, err := h.Login(t.Context(), "mike", o)
		if err != nil || !s.Proven() {
			t.Fatalf("proven login: %v, proven %v", err, s != nil && s.Proven())
		}
		chattest.Lines(s)
		s.Input(t.Context(), "/ignore")
		if got, want := lastLine(t, s), sys("You're ignoring: troll"); got != want {
			t.Errorf("ignore list of the proven login: %q, want %q", got, want)
		}
		s.Close()
	}
}

// TestPasswordAndKeyOnePerson: a name an SSH key owns takes a password
// from a session of that key, and a login by the password is the same
// person: told of an invitation made while away, with the same ignore
// list. A keyless login that did not prove it is refused as another
// key's name.
func TestPasswordAndKeyOnePerson(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: nil})
	withKey := chat.LoginOptions{Door: "ssh", KeyID: "SHA256:mikes", Outbox: chat.NewOutbox(0)}
	s, err := h.Login(t.Context(), "mike", withKey)
	if err != nil || !s.Proven() {
		t.Fatalf("key login: %v", err)
	}
	chattest.Lines(s)
	s.Input(t.Context(), "/password hunter2hunter2")
	if got, want := lastLine(t, s), sys("Your name is now protected by a password."); got != want {
		t.Errorf("/password of a key's name: %q, want %q", got, want)
	}
	s.Input(t.Context(), "/ignore troll")
	s.Close()
	if _, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "telnet", Outbox: chat.NewOutbox(0)}); !errors.Is(err, chat.ErrNameOwned) {
		t.Fatalf("keyless login, not proven: %v, want ErrNameOwned", err)
	}
	p, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "telnet", Proven: true, Outbox: chat.NewOutbox(0)})
	if err != nil || !p.Proven() {
		t.Fatalf("password login: %v", err)
	}
	chattest.Lines(p)
	p.Input(t.Context(), "/ignore")
	if got, want := lastLine(t, p), sys("You're ignoring: troll"); got != want {
		t.Errorf("ignore list by password: %q, want %q", got, want)
	}
	p.Input(t.Context(), "/whois mike")
	lines := strings.Join(chattest.Lines(p), "")
	if !strings.Contains(lines, sys("mike: protected by a password")) {
		t.Errorf("/whois mike = %q, want the password line", lines)
	}
}

// TestCheckPasswordLimit: past WrongPasswordsPerAddr wrong passwords
// within a minute, an address is refused without checking, even the
// right password; another address is not, and a minute later the first
// may try again.
func TestCheckPasswordLimit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := chattest.NewHub(t, chat.Config{Now: clock})
	s := chattest.Login(t, h, "mike")
	s.Input(t.Context(), "/password hunter2hunter2")
	ctx := t.Context()
	for i := range chat.WrongPasswordsPerAddr {
		if err := h.CheckPassword(ctx, "mike", "wrong", "10.0.0.1:1000"); !errors.Is(err, chat.ErrWrongPassword) {
			t.Fatalf("wrong try %d: %v, want ErrWrongPassword", i+1, err)
		}
	}
	if err := h.CheckPassword(ctx, "mike", "hunter2hunter2", "10.0.0.1:2000"); !errors.Is(err, chat.ErrTooManyAttempts) {
		t.Errorf("right password past the limit: %v, want ErrTooManyAttempts", err)
	}
	if err := h.CheckPassword(ctx, "mike", "hunter2hunter2", "10.0.0.2:1000"); err != nil {
		t.Errorf("another address: %v, want nil", err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if err := h.CheckPassword(ctx, "mike", "hunter2hunter2", "10.0.0.1:3000"); err != nil {
		t.Errorf("a minute later: %v, want nil", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = h.CheckPassword(cancelled, "mike", "hunter2hunter2", "10.0.0.3:1") // must not hang
}

// TestInviteToldAtPasswordLogin: an invitation to a name protected by a
// password only, made while it is offline, is told at its next login.
func TestInviteToldAtPasswordLogin(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{inviter{}}})
	anna := chattest.Login(t, h, "anna")
	anna.Input(t.Context(), "/password hunter2hunter2")
	anna.Close()
	boss := chattest.Login(t, h, "boss")
	boss.Input(t.Context(), "/switch den")
	boss.Input(t.Context(), "/invitetest anna")
	a, err := h.Login(t.Context(), "anna", chat.LoginOptions{Door: "telnet", Proven: true, Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(chattest.Lines(a), ""); !strings.Contains(got, "boss invited you to 'den'") {
		t.Errorf("anna's login = %q, want the invitation", got)
	}
}

// inviter locks the room of whoever types /invitetest NAME and invites NAME.
type inviter struct{ chat.BasePlugin }

func (inviter) Name() string       { return "inviter" }
func (inviter) Commands() []string { return []string{"invitetest"} }
func (inviter) CommandReceived(ctx context.Context, b *chat.Bot, c chat.Command) {
	if err := b.Lock(ctx, c.Room, true); err != nil {
		panic(err)
	}
	if _, _, err := b.Invite(ctx, c.Room, c.Args, c.From); err != nil {
		panic(err)
	}
}

// TestPasswordLimitConcurrent: wrong passwords sent at once from one
// address, on many connections, are checked at most WrongPasswordsPerAddr
// times a minute: a check in flight counts against the address before its
// hash runs, so the limit cannot be outrun by checks that all passed it
// before any of them was found wrong.
func TestPasswordLimitConcurrent(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	mike := chattest.Login(t, h, "mike")
	mike.Input(t.Context(), "/password hunter2hunter2")
	mike.Close()
	const tries = 4 * chat.WrongPasswordsPerAddr
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for range tries {
		wg.Go(func() {
			err := h.CheckPassword(t.Context(), "mike", "not the password", "192.0.2.7:1234")
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, chat.ErrWrongPassword) {
				checked++
			} else if !errors.Is(err, chat.ErrTooManyAttempts) {
				t.Errorf("CheckPassword = %v, want ErrWrongPassword or ErrTooManyAttempts", err)
			}
		})
	}
	wg.Wait()
	if checked > chat.WrongPasswordsPerAddr {
		t.Errorf("%d of %d wrong passwords at once were checked, want at most %d", checked, tries, chat.WrongPasswordsPerAddr)
	}
	// The right one is refused too while the address is over its limit.
	if err := h.CheckPassword(t.Context(), "mike", "hunter2hunter2", "192.0.2.7:1"); !errors.Is(err, chat.ErrTooManyAttempts) {
		t.Errorf("the right password after the limit: %v, want ErrTooManyAttempts", err)
	}
}

// gatedStore holds SavePassword until its gate is opened, so that a test
// can act while a /password is between its check and its end.
type gatedStore struct {
	*store.Memory
	saving chan struct{} // closed when SavePassword is first entered
	gate   chan struct{} // SavePassword returns once this is closed
	once   sync.Once
}

func (g *gatedStore) SavePassword(ctx context.Context, r chat.PasswordRecord) error {
	g.once.Do(func() { close(g.saving) })
	<-g.gate
	return g.Memory.SavePassword(ctx, r)
}

// TestPasswordSetterLeavesMeanwhile: a session that sets a password and
// logs out while it is being stored, with another login taking the name
// that was still free, never leaves the password on a name held by a
// session that did not prove it: a session holding a protected name is a
// proven one.
func TestPasswordSetterLeavesMeanwhile(t *testing.T) {
	t.Parallel()
	st := &gatedStore{Memory: store.NewMemory(0), saving: make(chan struct{}), gate: make(chan struct{})}
	h := chattest.NewHub(t, chat.Config{Store: st})
	mike := chattest.Login(t, h, "mike")
	done := make(chan struct{})
	go func() {
		defer close(done)
		mike.Input(context.WithoutCancel(t.Context()), "/password correct horse")
	}()
	select {
	case <-st.saving:
	case <-time.After(time.Minute):
		t.Fatal("/password did not reach the store within a minute")
	}
	mike.Close()
	other, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0)})
	close(st.gate)
	<-done
	if err != nil {
		// Refused: the name was already protected by the password being
		// stored; the invariant holds.
		return
	}
	if h.Protected("mike") && !other.Proven() {
		t.Errorf("the name mike is protected by the password of a session that left, and held by one that did not prove it")
	}
}

// TestPasswordRateLimited: /password costs a slow hash, so one session
// may set it once every chat.PasswordEvery; sooner, it gets the flood line
// and nothing is hashed or changed.
func TestPasswordRateLimited(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	h := chattest.NewHub(t, chat.Config{Now: clock})
	mike := chattest.Login(t, h, "mike")
	chattest.Lines(mike)
	for _, tc := range []struct {
		name    string
		wait    time.Duration
		line    string
		want    string
		current string // the password in force after the line
	}{
		{"first", 0, "/password correct horse", "Your name is now protected by a password.", "correct horse"},
		{"too soon", time.Second, "/password battery staple", "You're sending too fast, slow down.", "correct horse"},
		{"too short is not counted", 0, "/password short", "Please specify a password of at least 8 characters.", "correct horse"},
		{"after the wait", chat.PasswordEvery, "/password battery staple", "Your password has been changed.", "battery staple"},
	} {
		advance(tc.wait)
		mike.Input(t.Context(), tc.line)
		if got := lastLine(t, mike); got != sys(tc.want) {
			t.Errorf("%s: %q answered %q, want %q", tc.name, tc.line, got, sys(tc.want))
		}
		if err := h.CheckPassword(t.Context(), "mike", tc.current, "127.0.0.1:1"); err != nil {
			t.Errorf("%s: the password %q: %v, want nil", tc.name, tc.current, err)
		}
	}
}
