package chat_test

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"chatserver/bots/hellobot"
	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// errorLog is a slog.Handler that keeps the messages of error records.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func (l *errorLog) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

func newHub(tb testing.TB, log *errorLog, plugins ...chat.Plugin) *chat.Hub {
	tb.Helper()
	cfg := chat.Config{Store: store.NewMemory(0), Plugins: plugins}
	if log != nil {
		cfg.Logger = slog.New(log)
	}
	h, err := chat.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("chat.New: %v", err)
	}
	return h
}

func login(tb testing.TB, h *chat.Hub, name string) *chat.Session {
	tb.Helper()
	return chattest.Login(tb, h, name)
}

func drainLines(s *chat.Session) []string { return chattest.Lines(s) }

type panicky struct{ chat.BasePlugin }

func (panicky) Name() string                                             { return "panicky" }
func (panicky) Commands() []string                                       { return []string{"boom"} }
func (panicky) MessageReceived(context.Context, *chat.Bot, chat.Message) { panic("hook bug") }
func (panicky) CommandReceived(context.Context, *chat.Bot, chat.Command) { panic("command bug") }

// A plugin whose hooks panic is logged and skipped: the message is still
// delivered, the other plugins still run, the sender can go on chatting.
func TestPanickingPluginIsSkipped(t *testing.T) {
	t.Parallel()
	log := &errorLog{}
	h := newHub(t, log, panicky{}, helperbot.New(), hellobot.Bot{})
	ctx := context.Background()
	alice, bob := login(t, h, "alice"), login(t, h, "bob")
	drainLines(alice)
	drainLines(bob)
	alice.Input(ctx, "hello bob")
	alice.Input(ctx, "/boom")
	alice.Input(ctx, "/users")
	if got, want := drainLines(bob), []string{"<alice> hello bob\n"}; !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q", got, want)
	}
	want := []string{"<hellobot> Hello, alice\n", "<helperbot> Current online users:\n<helperbot> 1. alice\n<helperbot> 2. bob\n"}
	if got := drainLines(alice); !slices.Equal(got, want) {
		t.Errorf("alice got %q, want %q", got, want)
	}
	if errs := log.errors(); len(errs) != 2 || errs[0] != "plugin panicked" {
		t.Errorf("logged errors %q, want two plugin panics", errs)
	}
}

// A session that has logged out says nothing more, even if a door hands it
// a line after Close.
func TestClosedSessionIsSilent(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, helperbot.New())
	alice, bob := login(t, h, "alice"), login(t, h, "bob")
	alice.Close()
	drainLines(bob)
	alice.Input(context.Background(), "after logout")
	if got := drainLines(bob); len(got) != 0 {
		t.Errorf("bob got %q from a logged-out user", got)
	}
}

// badRune reports whether r must never reach a terminal inside a line.
func badRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || (r != 0x200d && unicode.Is(unicode.Cf, r))
}

func FuzzSessionInput(f *testing.F) {
	for _, s := range []string{
		"hi bob", "/room", "/switch lobby\nhi lobby\n/switch chat", "/switch", "/switch Two Words",
		"/w bob  psst  there", "/w nobody", "/w bob", "/kick bob", "/switch r\n/kick bob\n/ban bob\n/unban bob",
		"/ban alice", "/unban", "/users", "/rooms", "/help", "/history 3", "/history x", "/leave\nstill here",
		"/", "/ x", "/UNKNOWN", "hello", "\x1b[31mred\x1b]0;t\x07", "/w bob \u202Eevil", "/switch r\u200Boom",
		"/switch \x1b[1m", strings.Repeat("x", 451), "/w bob " + strings.Repeat("é", 451), "\xff\xfe",
		"/switch " + strings.Repeat("r", 33), "/kick", "/ban carol", "/switch other\n/ban carol",
		"/ignore bob\n/ignore\n/unignore BOB\n/unignore", "/ignore alice", "/ignore no/slash", "/help ignore", "/help /W extra", "/help nothing",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		log := &errorLog{}
		h := newHub(t, log, helperbot.New(), hellobot.Bot{})
		ctx := context.Background()
		alice, bob := login(t, h, "alice"), login(t, h, "bob")
		carol := login(t, h, "carol")
		carol.Input(ctx, "/switch other")
		lines := strings.Split(in, "\n")
		if len(lines) > 64 {
			lines = lines[:64]
		}
		for _, l := range lines {
			if alice.Outbox().Closed() {
				break // the door stops reading after /leave
			}
			alice.Input(ctx, l)
		}
		help := "<system> " + h.Help() + "\n"
		for _, s := range []*chat.Session{alice, bob, carol} {
			for _, l := range drainLines(s) {
				if l == help {
					continue
				}
				if !strings.HasSuffix(l, "\n") {
					t.Fatalf("%s got unterminated line %q", s.Name(), l)
				}
				pieces := []string{strings.TrimSuffix(l, "\n")}
				if strings.HasPrefix(l, "<helperbot> ") { // a bot's block (Bot.ReplyLines) is several lines, each tagged
					pieces = strings.Split(pieces[0], "\n")
				}
				for _, line := range pieces {
					if !strings.HasPrefix(line, "<") {
						t.Fatalf("%s got malformed line %q", s.Name(), line)
					}
					for _, r := range line {
						if badRune(r) {
							t.Fatalf("%s got %q, with %U, from input %q", s.Name(), line, r, in)
						}
					}
				}
			}
		}
		if errs := log.errors(); len(errs) > 0 {
			t.Fatalf("input %q logged errors %q", in, errs)
		}
	})
}

// BenchmarkFanout measures one sender talking to a room of 1 000 sessions
// whose outboxes are drained by their own goroutines, as writers do.
func BenchmarkFanout(b *testing.B) { benchFanout(b, false) }

// BenchmarkFanoutIgnoring is BenchmarkFanout while one member ignores
// someone else (/ignore): every fan-out then looks at each member's list.
func BenchmarkFanoutIgnoring(b *testing.B) { benchFanout(b, true) }

func benchFanout(b *testing.B, ignoring bool) {
	const members = 1000
	h := newHub(b, nil)
	ctx := context.Background()
	sender := login(b, h, "sender")
	var delivered, dropped atomic.Int64
	var wg sync.WaitGroup
	for i := range members - 1 {
		s := login(b, h, "u"+strconv.Itoa(i))
		if ignoring && i == 0 {
			s.Input(ctx, "/ignore someone-else")
		}
		wg.Go(func() {
			var buf []*chat.Event
			for range s.Outbox().Ready() {
				evs, d, closed := s.Outbox().Drain(buf)
				n := 0
				for _, e := range evs {
					if e.Kind == chat.KindChat {
						e.Line() // the writer renders it (once per event)
						n++
					}
				}
				delivered.Add(int64(n))
				dropped.Add(int64(d))
				buf = evs
				if closed {
					return
				}
			}
		})
	}
	text := "a message of a typical length, said to a big room"
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	n := 0
	for b.Loop() {
		sender.Input(ctx, text)
		n++
	}
	want := int64(n) * (members - 1)
	for delivered.Load()+dropped.Load() < want {
		runtime.Gosched()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms1)
	h.Shutdown()
	wg.Wait()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(want), "ns/delivery")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(want), "allocs/delivery")
	b.ReportMetric(float64(dropped.Load())/float64(want), "dropped/delivery")
}

func TestRoomCap(t *testing.T) {
	t.Parallel()
	h, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), MaxRooms: 3})
	if err != nil {
		t.Fatal(err)
	}
	alice := login(t, h, "alice")
	drainLines(alice)
	ctx := context.Background()
	alice.Input(ctx, "/switch one")
	alice.Input(ctx, "/switch two")
	drainLines(alice)
	alice.Input(ctx, "/switch three")
	if got, want := drainLines(alice), []string{"<system> " + chat.TextTooManyRooms + "\n"}; !slices.Equal(got, want) {
		t.Errorf("fourth room: got %q, want %q", got, want)
	}
	if r := alice.Room(); r != "two" {
		t.Errorf("after the refusal alice is in %q, want two", r)
	}
	alice.Input(ctx, "/switch ONE")
	if got, want := drainLines(alice), []string{"<system> Switched to room 'one'\n"}; !slices.Equal(got, want) {
		t.Errorf("existing room at the cap: got %q, want %q", got, want)
	}
}

// TestMembersShared: the member list is built once per change and shared
// by every caller (a UI per user asks on every roster event), and a list
// handed out before a change still shows the room as it was.
func TestMembersShared(t *testing.T) {
	h := chattest.NewHub(t, chat.Config{})
	chattest.Login(t, h, "alice")
	first, again := h.Members("chat"), h.Members("chat")
	if len(first) != 1 || &first[0] != &again[0] {
		t.Fatalf("two calls with no change in between: %v and %v, not one shared list", first, again)
	}
	bob := chattest.Login(t, h, "bob")
	now := h.Members("chat")
	if len(now) != 2 || now[1].Name != "bob" || len(first) != 1 || first[0].Name != "alice" {
		t.Fatalf("after bob joined: %v (the earlier list: %v)", now, first)
	}
	bob.Close()
	if now = h.Members("chat"); len(now) != 1 || now[0].Name != "alice" {
		t.Fatalf("after bob left: %v", now)
	}
}

// TestRosterEventCoalesced: a UI gets one roster event for any number of
// changes until it says it has reloaded the roster, then one for the
// next change; so a storm of logins costs each UI one wake-up, not one a
// login.
func TestRosterEventCoalesced(t *testing.T) {
	h := chattest.NewHub(t, chat.Config{})
	ui, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "ssh", Outbox: chat.NewOutbox(0), Roster: true})
	if err != nil {
		t.Fatal(err)
	}
	rosters := func() int { return rosterEvents(ui) }
	rosters()
	ui.RosterSeen()
	for i := range 10 {
		chattest.Login(t, h, "user"+strconv.Itoa(i))
	}
	if n := rosters(); n != 1 {
		t.Fatalf("10 logins queued %d roster events, want 1", n)
	}
	chattest.Login(t, h, "late")
	if n := rosters(); n != 0 {
		t.Fatalf("a login before the UI reloaded queued %d more roster events, want 0", n)
	}
	ui.RosterSeen()
	chattest.Login(t, h, "later")
	if n := rosters(); n != 1 {
		t.Fatalf("a login after the UI reloaded queued %d roster events, want 1", n)
	}
	if got := len(h.Members("chat")); got != 13 {
		t.Fatalf("%d members, want 13", got)
	}
}

// rosterEvents drains s's outbox and returns how many KindRoster events it held.
func rosterEvents(s *chat.Session) (n int) {
	evs, _, _ := s.Outbox().Drain(nil)
	for _, ev := range evs {
		if ev.Kind == chat.KindRoster {
			n++
		}
	}
	return n
}
