package chat_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
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

// received returns the texts of the room messages s was sent, in order,
// with who said them: "from: text".
func received(s *chat.Session) []string {
	evs, _, _ := s.Outbox().Drain(nil)
	var out []string
	for _, e := range evs {
		if e.Kind == chat.KindChat {
			out = append(out, e.From+": "+e.Text)
		}
	}
	return out
}

// historyOf asks for /history n as s and returns its lines as "from: text".
func historyOf(t *testing.T, s *chat.Session, n int) []string {
	t.Helper()
	s.Outbox().Drain(nil)
	s.Input(t.Context(), "/history "+strconv.Itoa(n))
	evs, _, _ := s.Outbox().Drain(nil)
	var out []string
	for _, e := range evs {
		if e.Kind != chat.KindHistory {
			t.Fatalf("/history sent %q", e.Line())
		}
		out = append(out, e.From+": "+e.Text)
	}
	return out
}

// without returns the lines of list not said by name: what name's line
// door receives of a room's history (its own messages are not echoed).
func without(list []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(l string) bool { return strings.HasPrefix(l, name+": ") })
}

// firstDiff describes where got and want, two orders of lines, part.
func firstDiff(got, want []string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	at := func(l []string) string {
		if i < len(l) {
			return strconv.Quote(l[i])
		}
		return "the end"
	}
	return "line " + strconv.Itoa(i) + " is " + at(got) + ", want " + at(want)
}

// TestOneOrderPerRoom: senders talking at once in one room, every member
// receives the room's messages in one order, and /history and the store
// give that same order. On a hub whose fan-out and history were ordered
// by different locks, some rounds disagreed.
func TestOneOrderPerRoom(t *testing.T) {
	t.Parallel()
	const senders, each, listeners = 8, 20, 3
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for round := range rounds {
		st := store.NewMemory(0)
		h := chattest.NewHub(t, chat.Config{Store: st})
		var all []*chat.Session
		for i := range senders {
			all = append(all, chattest.Login(t, h, "s"+strconv.Itoa(i)))
		}
		for i := range listeners {
			all = append(all, chattest.Login(t, h, "l"+strconv.Itoa(i)))
		}
		for _, s := range all {
			s.Outbox().Drain(nil)
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		for i, s := range all[:senders] {
			wg.Go(func() {
				for j := range each {
					s.Input(ctx, "m"+strconv.Itoa(i)+"."+strconv.Itoa(j))
				}
			})
		}
		wg.Wait()
		got := make([][]string, len(all))
		for i, s := range all {
			got[i] = received(s)
		}
		hist := historyOf(t, all[senders], senders*each)
		if len(hist) != senders*each {
			t.Fatalf("round %d: /history gave %d messages, want %d", round, len(hist), senders*each)
		}
		stored, err := st.History(ctx, chat.DefaultRoom, math.MaxUint64, senders*each)
		if err != nil {
			t.Fatal(err)
		}
		var fromStore []string
		for _, m := range stored {
			fromStore = append(fromStore, m.From+": "+m.Text)
		}
		if !slices.Equal(fromStore, hist) {
			t.Fatalf("round %d: the store's order differs from /history's: %s", round, firstDiff(fromStore, hist))
		}
		for i, s := range all {
			if want := without(hist, s.Name()); !slices.Equal(got[i], want) {
				t.Fatalf("round %d: what %s received differs from /history: %s", round, s.Name(), firstDiff(got[i], want))
			}
		}
	}
}

// handle is a plugin that only keeps its *chat.Bot, for a test to act as a
// plugin would.
type handle struct {
	chat.BasePlugin
	bot atomic.Pointer[chat.Bot]
}

func (*handle) Name() string { return "handle" }
func (p *handle) UserJoined(_ context.Context, b *chat.Bot, _ chat.User) {
	p.bot.Store(b)
}

// TestSwitchRacingBan: a ban recorded while a /switch into the room is on
// its way (after the switch looked the room up, before it moved the user)
// keeps the user out. The ban lands at the one moment of the switch that
// asks the clock, between the look-up and the move; the banning plugin then
// finds nobody to move out. A hub that checked bans only at the look-up
// left the banned user in the room.
func TestSwitchRacingBan(t *testing.T) {
	t.Parallel()
	p := &handle{}
	var during atomic.Pointer[func()]
	now := func() time.Time {
		if f := during.Swap(nil); f != nil {
			(*f)()
		}
		return time.Now()
	}
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{p}, Now: now})
	ctx := t.Context()
	anna, bob := chattest.Login(t, h, "anna"), chattest.Login(t, h, "bob")
	anna.Input(ctx, "/switch den")
	chattest.Lines(bob)
	ban := func() {
		b := p.bot.Load()
		if _, err := b.Ban(ctx, "den", "bob"); err != nil {
			t.Errorf("Ban: %v", err)
		}
		if _, err := b.Move("bob", "den", chat.DefaultRoom); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("Move of bob, still in chat, out of den: %v, want ErrNotFound", err)
		}
	}
	during.Store(&ban)
	bob.Input(ctx, "/switch den")
	if during.Load() != nil {
		t.Fatal("the switch never asked the clock: the test no longer lands the ban inside it")
	}
	if r := bob.Room(); r != chat.DefaultRoom {
		t.Errorf("bob, banned while switching, is in %q, want %q", r, chat.DefaultRoom)
	}
	want := []string{"<handle> You're banned from this room and cannot join.\n"}
	if got := chattest.Lines(bob); !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q", got, want)
	}
	if m := h.Members("den"); len(m) != 1 || m[0].Name != "anna" {
		t.Errorf("den holds %v, want anna alone", m)
	}
}

// member records what one session was sent, as a door's writer would
// drain it: woken by the outbox's OnReady hook.
type member struct {
	s      *chat.Session
	done   chan struct{}
	got    []*chat.Event // room messages, in the order received
	banned int           // bans it was told of
}

func watch(t *testing.T, h *chat.Hub, name string) *member {
	t.Helper()
	out := chat.NewOutbox(1 << 24) // nothing dropped: the test compares every line
	s, err := h.Login(t.Context(), name, chat.LoginOptions{Door: "test", Outbox: out})
	if err != nil {
		t.Fatalf("Login(%q): %v", name, err)
	}
	m := &member{s: s, done: make(chan struct{})}
	wake := make(chan struct{}, 1)
	out.OnReady(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	go func() {
		defer close(m.done)
		var buf []*chat.Event
		for range wake {
			evs, dropped, closed := out.Drain(buf)
			if dropped > 0 {
				t.Errorf("%s: %d events dropped", name, dropped)
			}
			for _, e := range evs {
				switch {
				case e.Kind == chat.KindChat:
					m.got = append(m.got, e)
				case e.Kind == chat.KindBot && strings.HasPrefix(e.Text, "You've been banned"):
					m.banned++
				}
			}
			buf = evs
			if closed {
				return
			}
		}
	}()
	return m
}

// TestHubStress: users switching rooms, admins banning and unbanning them,
// everyone talking, all at once. Then every member received each room's
// messages in the room's order, that order is /history's and the store's,
// and nobody is in a room they are banned from.
func TestHubStress(t *testing.T) {
	t.Parallel()
	const admins, users = 4, 16
	actions := 400
	if testing.Short() {
		actions = 100
	}
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	ctx := context.Background()
	rooms := []string{chat.DefaultRoom}
	var adm, usr []*member
	for i := range admins {
		a := watch(t, h, "a"+strconv.Itoa(i))
		room := "r" + strconv.Itoa(i)
		a.s.Input(ctx, "/switch "+room) // its creator, so its admin
		rooms = append(rooms, room)
		adm = append(adm, a)
	}
	for i := range users {
		usr = append(usr, watch(t, h, "u"+strconv.Itoa(i)))
	}

	// Admins keep pace with the users, so that bans race with moves.
	start := make(chan struct{})
	var progress atomic.Int64 // actions the users have done
	var wg sync.WaitGroup
	for i, a := range adm {
		wg.Go(func() {
			<-start
			rnd := rand.New(rand.NewPCG(1, uint64(i)))
			room := a.s.Room()
			for k := range actions {
				for progress.Load() < int64(k*users) {
					runtime.Gosched()
				}
				target := "u" + strconv.Itoa(rnd.IntN(users))
				if here := h.Members(room); rnd.IntN(2) == 0 && len(here) > 1 {
					target = here[rnd.IntN(len(here))].Name // often someone there to ban
				}
				switch n := rnd.IntN(4); {
				case n < 2:
					a.s.Input(ctx, a.s.Name()+" says "+strconv.Itoa(k))
				case n == 2:
					a.s.Input(ctx, "/ban "+target)
				default:
					a.s.Input(ctx, "/unban "+target)
				}
			}
		})
	}
	for i, u := range usr {
		wg.Go(func() {
			<-start
			rnd := rand.New(rand.NewPCG(2, uint64(i)))
			for k := range actions {
				switch n := rnd.IntN(10); {
				case n < 6:
					u.s.Input(ctx, u.s.Name()+" says "+strconv.Itoa(k))
				case n < 9:
					u.s.Input(ctx, "/switch "+rooms[rnd.IntN(len(rooms))])
				default:
					u.s.Input(ctx, "/history 5")
				}
				progress.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	wg.Wait()

	// Nobody is in a room they are banned from.
	snap, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	banned := map[[2]string]bool{}
	for _, b := range snap.Bans {
		banned[[2]string{chat.Fold(b.Room), chat.Fold(b.Name)}] = true
	}
	for _, u := range usr {
		if r := u.s.Room(); banned[[2]string{chat.Fold(r), chat.Fold(u.s.Name())}] {
			t.Errorf("%s is in %s, which it is banned from", u.s.Name(), r)
		}
	}

	// Each room's order, as /history and the store tell it, by number.
	order := map[string]map[uint64]string{}
	observer := chattest.Login(t, h, "observer")
	for _, room := range rooms {
		observer.Input(ctx, "/switch "+room)
		hist := historyOf(t, observer, 200)
		stored, err := st.History(ctx, room, math.MaxUint64, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		bySeq := map[uint64]string{}
		for i, m := range stored {
			if m.Seq != stored[0].Seq+uint64(i) {
				t.Fatalf("%s: the store's message %d is numbered %d, after %d", room, i, m.Seq, stored[0].Seq)
			}
			all = append(all, m.From+": "+m.Text)
			bySeq[m.Seq] = m.From + ": " + m.Text
		}
		if tail := all[max(0, len(all)-200):]; !slices.Equal(hist, tail) {
			t.Fatalf("%s: /history gave\n%q\nthe store has\n%q", room, hist, tail)
		}
		order[room] = bySeq
	}

	// Every member got each room's messages in that order.
	bans := 0
	for _, m := range append(adm, usr...) {
		m.s.Close()
		<-m.done
		bans += m.banned
		last := map[string]uint64{}
		for _, e := range m.got {
			if e.Seq <= last[e.Room] {
				t.Fatalf("%s got %s's message %d after %d", m.s.Name(), e.Room, e.Seq, last[e.Room])
			}
			last[e.Room] = e.Seq
			if want := order[e.Room][e.Seq]; e.From+": "+e.Text != want {
				t.Fatalf("%s got %q as %s's message %d, which is %q", m.s.Name(), e.From+": "+e.Text, e.Room, e.Seq, want)
			}
		}
	}
	t.Logf("%d bans, %d in force at the end", bans, len(banned))
	if bans == 0 {
		t.Error("nobody was banned: the test did not race bans with moves")
	}
}

// TestOlderPagesByOrder: scrolling back pages by the room's order, so
// messages said in the same instant (a coarse or stepped-back clock) are
// neither skipped nor shown twice. Paged by time, every page after the
// first came back empty.
func TestOlderPagesByOrder(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := chattest.NewHub(t, chat.Config{HistoryLen: 50, Now: func() time.Time { return at }})
	ctx := t.Context()
	bob, alice := chattest.Login(t, h, "bob"), chattest.Login(t, h, "alice")
	var want []string
	for i := range 250 {
		text := "m" + strconv.Itoa(i)
		bob.Input(ctx, text)
		want = append(want, text)
	}
	var got []string
	recent := alice.Recent(50)
	for _, e := range recent {
		got = append(got, e.Text)
	}
	for before := recent[0].Seq; ; {
		page, err := alice.Older(ctx, before, 60)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		var texts []string
		for _, m := range page {
			texts = append(texts, m.Text)
		}
		got = append(texts, got...)
		before = page[0].Seq
	}
	if !slices.Equal(got, want) {
		t.Errorf("Recent then Older, page by page, gave %d messages:\n%q\nwant the 250 said", len(got), got)
	}
}
