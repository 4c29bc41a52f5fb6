package chat_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// expectLines fails the test unless s was sent exactly want since the last
// look.
func expectLines(t *testing.T, s *chat.Session, want ...string) {
	t.Helper()
	if got := chattest.Lines(s); !slices.Equal(got, want) {
		t.Fatalf("%s got %q, want %q", s.Name(), got, want)
	}
}

// muted reports whether room's members show name as muted.
func mutedIn(h *chat.Hub, room, name string) bool {
	for _, m := range h.Members(room) {
		if m.Name == name {
			return m.Muted
		}
	}
	return false
}

// inDen logs name in on h and moves them to den, whose admin is the
// first to go there; it drains what they were sent.
func inDen(t *testing.T, h *chat.Hub, name string, opt chat.LoginOptions) *chat.Session {
	t.Helper()
	opt.Door = "test"
	opt.Outbox = chat.NewOutbox(0)
	s, err := h.Login(t.Context(), name, opt)
	if err != nil {
		t.Fatalf("Login(%q): %v", name, err)
	}
	s.Input(t.Context(), "/switch den")
	chattest.Lines(s)
	return s
}

// TestTimedEndOnTime: a ban for 10m and a mute for 5m hold until the
// second they end, and end then by themselves: the banned user may come
// back in, the muted one speaks again, and screens in the room are told
// the muted mark went (a KindRoster event). Fake time (testing/synctest).
func TestTimedEndOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
		defer h.Shutdown()
		ctx := t.Context()
		admin := inDen(t, h, "admin", chat.LoginOptions{})
		troll := inDen(t, h, "troll", chat.LoginOptions{})
		carol := inDen(t, h, "carol", chat.LoginOptions{})
		screen := inDen(t, h, "screen", chat.LoginOptions{Roster: true})
		for _, s := range []*chat.Session{admin, troll, carol} {
			chattest.Lines(s)
		}

		start := time.Now()
		admin.Input(ctx, "/ban troll 10m")
		admin.Input(ctx, "/mute carol 5m")
		expectLines(t, admin,
			"<helperbot> troll has left the chat room!\n",
			"<helperbot> troll is banned from 'den' for 10m.\n",
			"<helperbot> carol is muted in 'den' for 5m.\n")
		expectLines(t, troll,
			"<helperbot> troll has joined the chat room!\n",
			"<helperbot> You've been banned from the 'den' room for 10m. You've been returned to 'chat'.\n")
		expectLines(t, carol,
			"<helperbot> troll has left the chat room!\n",
			"<helperbot> You've been muted in 'den'.\n")
		screen.Outbox().Drain(nil)
		screen.RosterSeen()
		if !mutedIn(h, "den", "carol") {
			t.Fatalf("carol not shown muted")
		}

		time.Sleep(5*time.Minute - time.Second)
		synctest.Wait()
		carol.Input(ctx, "still here?")
		expectLines(t, carol, "<helperbot> You're muted in 'den'.\n")
		expectLines(t, admin)
		if !mutedIn(h, "den", "carol") {
			t.Errorf("carol not shown muted a second before the mute ends")
		}

		time.Sleep(time.Second)
		synctest.Wait()
		if mutedIn(h, "den", "carol") {
			t.Errorf("carol still shown muted when the mute ended")
		}
		evs, _, _ := screen.Outbox().Drain(nil)
		if !slices.ContainsFunc(evs, func(e *chat.Event) bool { return e.Kind == chat.KindRoster }) {
			t.Errorf("screen not told the mute ended: %v", evs)
		}
		carol.Input(ctx, "back")
		expectLines(t, admin, "<carol> back\n")

		time.Sleep(5*time.Minute - time.Second)
		synctest.Wait()
		troll.Input(ctx, "/switch den")
		expectLines(t, troll, "<helperbot> You're banned from this room and cannot join.\n")
		admin.Input(ctx, "/bans")
		expectLines(t, admin, "<helperbot> Banned from 'den':\n<helperbot> 1. troll (until "+
			start.Add(10*time.Minute).Local().Format("2006-01-02 15:04")+")\n")

		time.Sleep(time.Second)
		synctest.Wait()
		troll.Input(ctx, "/switch den")
		expectLines(t, troll, "<system> Switched to room 'den'\n", "<helperbot> troll has joined the chat room!\n")
		admin.Input(ctx, "/bans")
		expectLines(t, admin, "<helperbot> troll has joined the chat room!\n", "<helperbot> Nobody is banned from 'den'.\n")
	})
}

// TestTimedAcrossRestart: a ban and a mute for 10m set 9 minutes before a
// restart last 1 more minute on the new hub, built from the same store,
// and the muted line keeps helperbot's tag. Records that ended while the
// server was down are not loaded, and are removed from the store.
func TestTimedAcrossRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory(0)
		cfg := chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}}
		h := chattest.NewHub(t, cfg)
		ctx := t.Context()
		admin := inDen(t, h, "admin", chat.LoginOptions{})
		admin.Input(ctx, "/ban troll 10m")
		admin.Input(ctx, "/mute carol 10m")
		admin.Input(ctx, "/ban eve 5m")
		admin.Input(ctx, "/mute dave 5m")
		expectLines(t, admin,
			"<helperbot> troll is banned from 'den' for 10m.\n",
			"<helperbot> carol is muted in 'den' for 10m.\n",
			"<helperbot> eve is banned from 'den' for 5m.\n",
			"<helperbot> dave is muted in 'den' for 5m.\n")
		time.Sleep(9 * time.Minute)
		h.Shutdown()

		h = chattest.NewHub(t, cfg)
		defer h.Shutdown()
		snap, err := st.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Bans) != 1 || len(snap.Mutes) != 1 {
			t.Errorf("store after the restart: bans %+v, mutes %+v; want troll's and carol's alone", snap.Bans, snap.Mutes)
		}
		troll := chattest.Login(t, h, "troll")
		carol := inDen(t, h, "carol", chat.LoginOptions{})
		time.Sleep(time.Minute - time.Second)
		synctest.Wait()
		chattest.Lines(troll)
		troll.Input(ctx, "/switch den")
		expectLines(t, troll, "<helperbot> You're banned from this room and cannot join.\n")
		carol.Input(ctx, "hello?")
		expectLines(t, carol, "<helperbot> You're muted in 'den'.\n")

		time.Sleep(time.Second)
		synctest.Wait()
		troll.Input(ctx, "/switch den")
		expectLines(t, troll, "<system> Switched to room 'den'\n", "<helperbot> troll has joined the chat room!\n")
		troll.Input(ctx, "hello")
		carol.Input(ctx, "hello troll")
		expectLines(t, carol, "<helperbot> troll has joined the chat room!\n", "<troll> hello\n")
		expectLines(t, troll, "<carol> hello troll\n")
	})
}

// TestBanByKey: a user banned while online with an SSH key is kept out
// under any name that key logs in with; the same name from another key or
// none is refused at login (the key owns it), another name without the
// key is not kept out. An admin's
// ban of the room's admin, or of an operator, is refused.
func TestBanByKey(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := context.Background()
	admin := inDen(t, h, "admin", chat.LoginOptions{})
	troll := inDen(t, h, "troll", chat.LoginOptions{KeyID: "SHA256:troll"})
	op := inDen(t, h, "op", chat.LoginOptions{KeyID: "SHA256:op", Operator: true})
	chattest.Lines(admin)
	admin.Input(ctx, "/ban troll")
	admin.Input(ctx, "/ban op")
	admin.Input(ctx, "/mute op 1h")
	expectLines(t, admin,
		"<helperbot> troll has left the chat room!\n",
		"<helperbot> troll is banned from 'den'.\n",
		"<helperbot> You cannot ban an admin of 'den'.\n",
		"<helperbot> You cannot mute an admin of 'den'.\n")
	chattest.Lines(op)
	troll.Close()

	for _, tc := range []struct {
		name, key string
		banned    bool
	}{
		{"troll2", "SHA256:troll", true},
		{"friend", "SHA256:other", false},
		{"friend2", "", false},
	} {
		s, err := h.Login(ctx, tc.name, chat.LoginOptions{Door: "test", KeyID: tc.key, Outbox: chat.NewOutbox(0)})
		if err != nil {
			t.Fatalf("Login(%q): %v", tc.name, err)
		}
		s.Input(ctx, "/switch den")
		if got := chattest.Lines(s); slices.Contains(got, "<helperbot> You're banned from this room and cannot join.\n") != tc.banned {
			t.Errorf("%s with key %q got %q, want banned %v", tc.name, tc.key, got, tc.banned)
		}
		s.Close()
	}
}

// deleteRoomsFailing is a memory store whose DeleteRooms, once armed,
// waits for release and then fails, as a full disk would.
type deleteRoomsFailing struct {
	*store.Memory
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (s *deleteRoomsFailing) DeleteRooms(ctx context.Context, names []string) error {
	if !s.armed {
		return s.Memory.DeleteRooms(ctx, names)
	}
	s.armed = false
	close(s.entered)
	<-s.release
	return errors.New("disk full")
}

// TestTimerAfterFailedSweep: a room's timer that fires while a sweep is
// removing the room, which the store then fails to do, leaves the room
// kept with timers that still work: a mute made later ends on time, and
// screens see it end. Fake time (testing/synctest).
func TestTimerAfterFailedSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &deleteRoomsFailing{Memory: store.NewMemory(0), entered: make(chan struct{}), release: make(chan struct{})}
		h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}, RoomExpiry: time.Hour})
		defer h.Shutdown()
		ctx := t.Context()
		admin := inDen(t, h, "admin", chat.LoginOptions{})
		admin.Input(ctx, "/mute carol 2h") // carol is offline: the room stays empty and quiet
		admin.Input(ctx, "/switch chat")
		chattest.Lines(admin)

		time.Sleep(time.Hour) // den has expired
		st.armed = true
		back := make(chan struct{})
		go func() { defer close(back); admin.Input(ctx, "/switch den") }() // sweeps den first
		<-st.entered
		time.Sleep(time.Hour) // carol's mute ends meanwhile: its timer fires
		synctest.Wait()
		close(st.release) // the store fails: den is kept
		<-back
		if r := admin.Room(); r != "den" {
			t.Fatalf("admin in %q, want den", r)
		}
		dave := inDen(t, h, "dave", chat.LoginOptions{})
		admin.Input(ctx, "/mute dave 5m")
		chattest.Lines(dave)
		if !mutedIn(h, "den", "dave") {
			t.Fatalf("dave not shown muted")
		}
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if mutedIn(h, "den", "dave") {
			t.Errorf("dave still shown muted when the mute ended")
		}
	})
}
