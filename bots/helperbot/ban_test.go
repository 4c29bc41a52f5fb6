package helperbot_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// savesCounted is an in-memory store that counts the bans written.
type savesCounted struct {
	*store.Memory
	saves atomic.Int32
}

func (s *savesCounted) SaveBan(ctx context.Context, b chat.BanRecord) error {
	s.saves.Add(1)
	return s.Memory.SaveBan(ctx, b)
}

// TestBanNotInRoom: /ban of a name not in the admin's room records the ban
// and confirms it to the admin alone, the name shown as its user logged in
// if online, else as Login would take it; a name banned already is
// confirmed as it was banned, and nothing is written again. The cases run
// in order, each on what the ones before left.
func TestBanNotInRoom(t *testing.T) {
	st := &savesCounted{Memory: store.NewMemory(0)}
	hub := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, carol := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "Carol")
	admin.Input(ctx, "/switch den")
	chattest.Lines(admin)
	chattest.Lines(carol)
	for _, tc := range []struct {
		in, want string
		saves    int32 // bans written so far
	}{
		{"/ban carol", "<helperbot> Carol is banned from 'den'.\n", 1},
		{"/ban CAROL", "<helperbot> Carol is banned from 'den'.\n", 1},
		{"/ban CAROL again", "<helperbot> " + chat.TextDurations + "\n", 1},
		{"/ban CAROL 2h extra", "<helperbot> Carol is banned from 'den' for 2h.\n", 2},
		{"/ban CAROL", "<helperbot> Carol is banned from 'den'.\n", 3},
		{"/ban CAROL", "<helperbot> Carol is banned from 'den'.\n", 3},
		{"/ban ｔｒｏｌｌ", "<helperbot> troll is banned from 'den'.\n", 4},
		{"/ban Troll", "<helperbot> troll is banned from 'den'.\n", 4},
		{"/ban ADMIN", "<helperbot> You cannot ban an admin of 'den'.\n", 4},
		{"/ban ADMIN 5m", "<helperbot> You cannot ban an admin of 'den'.\n", 4},
		{"/ban helperbot", "<helperbot> Could not find someone with that username.\n", 4},
		{"/ban no/slash", "<helperbot> Could not find someone with that username.\n", 4},
		{"/ban no/slash 0m", "<helperbot> " + chat.TextDurations + "\n", 4},
	} {
		admin.Input(ctx, tc.in)
		if got := chattest.Lines(admin); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: admin got %q, want %q", tc.in, got, tc.want)
		}
		if got := st.saves.Load(); got != tc.saves {
			t.Errorf("%s: %d bans written, want %d", tc.in, got, tc.saves)
		}
	}
	if got := chattest.Lines(carol); len(got) != 0 {
		t.Errorf("carol, banned from a room she is not in, got %q", got)
	}
	if r := carol.Room(); r != chat.DefaultRoom {
		t.Errorf("carol is in %q, want %q", r, chat.DefaultRoom)
	}
	for _, name := range []string{"carol", "troll"} {
		if hub.CanEnter("den", name) {
			t.Errorf("CanEnter(den, %q) = true, want false", name)
		}
	}
}

// TestKickConfirmed: the admin is told of a kick right after the leave
// line, but not when they kicked themselves: the kicked line says it.
func TestKickConfirmed(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, bob := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "Bob")
	admin.Input(ctx, "/switch den")
	bob.Input(ctx, "/switch den")
	chattest.Lines(admin)
	chattest.Lines(bob)
	admin.Input(ctx, "/kick bob")
	want := []string{"<helperbot> Bob has left the chat room!\n", "<helperbot> Bob was kicked from 'den'.\n"}
	if got := chattest.Lines(admin); !slices.Equal(got, want) {
		t.Errorf("admin kicking bob got %q, want %q", got, want)
	}
	admin.Input(ctx, "/kick admin")
	want = []string{
		"<helperbot> admin has joined the chat room!\n",
		"<helperbot> You've been kicked from the 'den' room. You've been returned to 'chat'.\n",
	}
	if got := chattest.Lines(admin); !slices.Equal(got, want) {
		t.Errorf("admin kicking themselves got %q, want %q", got, want)
	}
}

// TestKickInChat: chat is where kicks land, so a kick there (by an
// operator, an admin of every room) moves nobody: no leave and join lines,
// no kicked line; the admin gets the line /ban and /lock there get.
func TestKickInChat(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	hub.SetOperators(func(k string) bool { return k == "SHA256:root" })
	root, err := hub.Login(ctx, "root", chat.LoginOptions{Door: "test", KeyID: "SHA256:root", Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatalf("Login(root): %v", err)
	}
	bob := chattest.Login(t, hub, "bob")
	chattest.Lines(root)
	chattest.Lines(bob)
	for _, in := range []string{"/kick bob", "/kick root", "/ban bob"} {
		root.Input(ctx, in)
		want := []string{"<helperbot> 'chat' is open to everyone.\n"}
		if got := chattest.Lines(root); !slices.Equal(got, want) {
			t.Errorf("%s: root got %q, want %q", in, got, want)
		}
		if got := chattest.Lines(bob); len(got) != 0 {
			t.Errorf("%s: bob got %q, want nothing", in, got)
		}
		if bob.Room() != chat.DefaultRoom || root.Room() != chat.DefaultRoom {
			t.Errorf("%s: bob in %q, root in %q; want both in %q", in, bob.Room(), root.Room(), chat.DefaultRoom)
		}
	}
}

// TestBanMuteLookAlike: /ban or /mute of a name that looks like the name
// of a user online (b0b for bob) is the ban or mute of that user, as the
// ban of a look-alike already keeps them out: bob is moved out of the
// room and told, or told he is muted, and the admin's line names him.
func TestBanMuteLookAlike(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, bob, mike := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "bob"), chattest.Login(t, hub, "mike")
	for _, s := range []*chat.Session{admin, bob, mike} {
		s.Input(ctx, "/switch den")
	}
	for _, s := range []*chat.Session{admin, bob, mike} {
		chattest.Lines(s)
	}

	admin.Input(ctx, "/ban b0b")
	want := []string{"<helperbot> bob has left the chat room!\n", "<helperbot> bob is banned from 'den'.\n"}
	if got := chattest.Lines(admin); !slices.Equal(got, want) {
		t.Errorf("/ban b0b: admin got %q, want %q", got, want)
	}
	if got, want := chattest.Lines(bob), "<helperbot> You've been banned from the 'den' room. You've been returned to 'chat'.\n"; len(got) == 0 || got[len(got)-1] != want {
		t.Errorf("/ban b0b: bob got %q, want it to end with %q", got, want)
	}
	if bob.Room() != chat.DefaultRoom {
		t.Errorf("/ban b0b: bob is in %q, want %q", bob.Room(), chat.DefaultRoom)
	}

	chattest.Lines(mike)
	admin.Input(ctx, "/mute rnike")
	if got, want := chattest.Lines(admin), []string{"<helperbot> mike is muted in 'den'.\n"}; !slices.Equal(got, want) {
		t.Errorf("/mute rnike: admin got %q, want %q", got, want)
	}
	if got, want := chattest.Lines(mike), []string{"<helperbot> You've been muted in 'den'.\n"}; !slices.Equal(got, want) {
		t.Errorf("/mute rnike: mike got %q, want %q", got, want)
	}
	mike.Input(ctx, "hello")
	if got, want := chattest.Lines(mike), []string{"<helperbot> You're muted in 'den'.\n"}; !slices.Equal(got, want) {
		t.Errorf("mike's message after /mute rnike: mike got %q, want %q", got, want)
	}
	if got := chattest.Lines(admin); len(got) != 0 {
		t.Errorf("mike's message after /mute rnike reached the admin: %q", got)
	}
}
