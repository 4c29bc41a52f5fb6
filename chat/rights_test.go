package chat_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// TestRightsSeenByScreens: what the SSH UI reads (Hub.Topic, Members'
// Admin, RoomInfo.InviteOnly, CanEnter) follows /topic, /op, /deop, /lock
// and /unlock, each announced to the room's screens by a roster event;
// plugins see topic changes (TopicChanged).
func TestRightsSeenByScreens(t *testing.T) {
	t.Parallel()
	log := &recorder{}
	h := newHub(t, nil, helperbot.New(), log)
	ctx := t.Context()
	alice := login(t, h, "alice")
	alice.Input(ctx, "/switch den")
	ui, err := h.Login(ctx, "mike", chat.LoginOptions{Door: "ssh", Outbox: chat.NewOutbox(0), Roster: true})
	if err != nil {
		t.Fatal(err)
	}
	ui.Input(ctx, "/switch den")
	bob := login(t, h, "bob")
	rosterEvents(ui)

	admin := func(name string) bool {
		for _, m := range h.Members("den") {
			if m.Name == name {
				return m.Admin
			}
		}
		t.Fatalf("%s is not in den", name)
		return false
	}
	inviteOnly := func() bool { return h.Rooms()[1].InviteOnly }
	steps := []struct {
		in     string
		check  func() bool
		roster bool // a screen shows what changed
	}{
		{"/topic plans", func() bool { return h.Topic("DEN") == "plans" }, true},
		{"/op mike", func() bool { return admin("mike") }, true},
		{"/deop mike", func() bool { return !admin("mike") }, true},
		{"/lock", func() bool { return inviteOnly() && !h.CanEnter("den", "bob") && h.CanEnter("den", "alice") }, true},
		{"/invite bob", func() bool { return h.CanEnter("den", "bob") && !h.CanEnter("den", "carol") }, false},
		{"/unlock", func() bool { return !inviteOnly() && h.CanEnter("den", "carol") }, true},
		{"/topic -", func() bool { return h.Topic("den") == "" }, true},
	}
	for _, st := range steps {
		ui.RosterSeen()
		alice.Input(ctx, st.in)
		if !st.check() {
			t.Errorf("after %s: not as the screens should see it", st.in)
		}
		if n := rosterEvents(ui); st.roster && n == 0 {
			t.Errorf("after %s: no roster event for the screen in den", st.in)
		}
	}
	if want := []chat.Topic{{Room: "den", By: "alice", Text: "plans"}, {Room: "den", By: "alice"}}; !slices.Equal(log.topics, want) {
		t.Errorf("TopicChanged saw %+v, want %+v", log.topics, want)
	}
	drainLines(bob)
}

// TestTopicKeepsRoomFromExpiry: a room with a topic is kept however long
// it stays empty and quiet; once the topic is cleared it expires. An
// expired room's admins made with /op go with it.
func TestTopicKeepsRoomFromExpiry(t *testing.T) {
	t.Parallel()
	const expiry = 30 * 24 * time.Hour
	c := newClock()
	st := store.NewMemory(0)
	h := claimHub(t, st, c, 0, expiry, 0)
	ctx := t.Context()
	alice := loginFrom(t, h, "alice", "")
	switchTo(alice, "notes")
	alice.Input(ctx, "/topic read me")
	switchTo(alice, "bare")
	alice.Input(ctx, "/op bob")
	switchTo(alice, "chat")

	c.Advance(expiry)
	switchTo(alice, "bare") // expired: sweeps, and makes it anew
	if got, want := roomNames(h), []string{"chat", "notes", "bare"}; !slices.Equal(got, want) {
		t.Fatalf("rooms = %q, want %q", got, want)
	}
	if rights, _ := st.LoadRights(ctx); len(rights.Admins) != 0 {
		t.Errorf("admins of the expired room kept: %+v", rights.Admins)
	}
	switchTo(alice, "notes")
	alice.Input(ctx, "/topic -")
	switchTo(alice, "chat")
	c.Advance(expiry)
	switchTo(alice, "bare")
	if got, want := roomNames(h), []string{"chat", "bare"}; !slices.Equal(got, want) {
		t.Fatalf("rooms = %q, want %q", got, want)
	}
}

// TestInviteToldOnceRacingLogin: an invitation to a protected name that
// logs in at the same moment is told exactly once, now or at the login,
// and recorded as told.
func TestInviteToldOnceRacingLogin(t *testing.T) {
	t.Parallel()
	const line = "<helperbot> alice invited you to 'den'.\n"
	frankOpts := chat.LoginOptions{Door: "ssh", KeyID: "SHA256:frank", Outbox: chat.NewOutbox(0)}
	for i := range 50 {
		st := store.NewMemory(0)
		h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
		ctx := t.Context()
		frank, err := h.Login(ctx, "frank", frankOpts) // binds frank to its key: protected
		if err != nil {
			t.Fatal(err)
		}
		frank.Close()
		alice := login(t, h, "alice")
		alice.Input(ctx, "/switch den")
		alice.Input(ctx, "/lock")

		var wg sync.WaitGroup
		wg.Go(func() { alice.Input(ctx, "/invite frank") })
		wg.Go(func() {
			frankOpts.Outbox = chat.NewOutbox(0)
			if frank, err = h.Login(ctx, "frank", frankOpts); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if frank == nil {
			t.FailNow()
		}
		told := 0
		for _, l := range drainLines(frank) {
			if l == line {
				told++
			}
		}
		rights, _ := st.LoadRights(ctx)
		if told != 1 || len(rights.Invites) != 1 || !rights.Invites[0].Told {
			t.Fatalf("round %d: told %d times, stored %+v; want once, stored as told", i, told, rights.Invites)
		}
	}
}

// TestExpiredRoomForgetsInvites: a locked room that expires takes its
// invitations not told yet with it, so that names invited and never back
// hold nothing of it.
func TestExpiredRoomForgetsInvites(t *testing.T) {
	t.Parallel()
	const expiry = 30 * 24 * time.Hour
	c := newClock()
	h := claimHub(t, nil, c, 0, expiry, 0)
	ctx := t.Context()
	frank, err := h.Login(ctx, "frank", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:frank", Outbox: chat.NewOutbox(0)})
	must(t, err)
	frank.Close() // protected, offline: told at the next login
	alice := loginFrom(t, h, "alice", "")
	switchTo(alice, "den")
	alice.Input(ctx, "/lock")
	alice.Input(ctx, "/invite frank")
	switchTo(alice, "chat")
	if n := h.Untold(); n != 1 {
		t.Fatalf("%d names to tell, want frank", n)
	}
	c.Advance(expiry)
	switchTo(alice, "den") // expired: sweeps it, and makes it anew
	if got, want := roomNames(h), []string{"chat", "den"}; !slices.Equal(got, want) {
		t.Fatalf("rooms = %q, want %q", got, want)
	}
	if n := h.Untold(); n != 0 {
		t.Errorf("%d names still to tell of an expired room", n)
	}
}
