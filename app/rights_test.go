package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// PROTOCOL.md's second release, the room-rights rows (/topic, /op, /deop,
// /lock, /unlock, /invite) over telnet: every line, who gets it, and that
// nobody else gets anything. The cast is newAdminRoom's: alice created
// den, bob and carol are in it, dave is in chat.

// hear asserts that each of cs gets line next, then that nobody in d got
// anything else.
func (d *adminRoom) hear(line string, cs ...*apptest.Client) {
	for _, c := range cs {
		c.Expect(line)
	}
	d.quiet()
}

// answers sends in as from and asserts that from alone gets want.
func (d *adminRoom) answers(from *apptest.Client, in string, want ...string) {
	from.Send(in)
	from.Expect(want...)
	d.quiet()
}

func TestTopic(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol, dave := d.alice, d.bob, d.carol, d.dave

	d.answers(bob, "/topic", "<helperbot> 'den' has no topic.")
	d.answers(dave, "/TOPIC", "<helperbot> 'chat' has no topic.")
	d.answers(bob, "/topic bob's room now", "<helperbot> You must be an admin to set the topic.")
	d.answers(bob, "/topic -", "<helperbot> You must be an admin to set the topic.")
	d.answers(dave, "/topic chat's topic", "<helperbot> You must be an admin to set the topic.")
	d.answers(alice, "/topic "+strings.Repeat("é", 201), "<helperbot> A topic cannot exceed 200 characters.")
	d.answers(bob, "/topic", "<helperbot> 'den' has no topic.") // the long one was not set

	// Set: everyone in the room, the admin included, gets the line; inner
	// spaces are kept.
	alice.Send("/topic   Plans   for friday")
	d.hear("<helperbot> alice set the topic of 'den' to: Plans   for friday", alice, bob, carol)
	d.answers(bob, "/topic", "<helperbot> The topic of 'den' is: Plans   for friday")
	d.answers(dave, "/topic", "<helperbot> 'chat' has no topic.")

	// 200 characters is allowed, and replaces the topic.
	long := strings.Repeat("é", 200)
	alice.Send("/topic " + long)
	d.hear("<helperbot> alice set the topic of 'den' to: "+long, alice, bob, carol)
	alice.Send("/topic Plans")
	d.hear("<helperbot> alice set the topic of 'den' to: Plans", alice, bob, carol)

	// Entering a room with a topic: the topic line after the switch line,
	// before the join line; the room hears only the join line.
	dave.Send("/switch den")
	dave.Expect(switchedLine("den"), "<system> Topic: Plans", joinLine("dave"))
	for _, c := range []*apptest.Client{alice, bob, carol} {
		c.Expect(joinLine("dave"))
	}
	d.quiet()
	// Entering a room without one: no topic line.
	dave.Send("/switch chat")
	dave.Expect(switchedLine("chat"), joinLine("dave"))
	d.hear(leaveLine("dave"), alice, bob, carol)

	// Cleared with "-".
	alice.Send("/topic -")
	d.hear("<helperbot> alice cleared the topic of 'den'.", alice, bob, carol)
	d.answers(carol, "/topic", "<helperbot> 'den' has no topic.")
	dave.Send("/switch den")
	dave.Expect(switchedLine("den"), joinLine("dave"))
	d.hear(joinLine("dave"), alice, bob, carol)
}

func TestOpAndDeop(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol, dave := d.alice, d.bob, d.carol, d.dave
	den := []*apptest.Client{alice, bob, carol}
	users := func(c *apptest.Client, want ...string) {
		t.Helper()
		c.Send("/users")
		c.Expect("<helperbot> Current online users:")
		for i, w := range want {
			c.Expect("<helperbot> " + string(rune('1'+i)) + ". " + w)
		}
		d.quiet()
	}

	d.answers(bob, "/op carol", "<helperbot> You must be an admin to op.")
	d.answers(dave, "/op dave", "<helperbot> You must be an admin to op.")
	for _, in := range []string{"/op", "/op   ", "/op system", "/op helperbot", "/op " + strings.Repeat("x", 21), "/op no!pe"} {
		d.answers(alice, in, lineNotFound)
	}
	d.answers(alice, "/op alice", "<helperbot> alice is already an admin of 'den'.")
	d.answers(alice, "/op ALICE", "<helperbot> alice is already an admin of 'den'.")

	// A member: the room hears it, the new admin among them, once.
	alice.Send("/op BOB")
	d.hear("<helperbot> bob is now an admin of 'den'.", den...)
	d.answers(alice, "/op bob", "<helperbot> bob is already an admin of 'den'.")
	users(carol, "alice (admin)", "bob (admin)", "carol")
	// Someone in another room: the room hears it, and so do they.
	alice.Send("/op dave")
	for _, c := range append(den, dave) {
		c.Expect("<helperbot> dave is now an admin of 'den'.")
	}
	d.quiet()
	// Someone offline: by name, shown as given.
	alice.Send("/op Erin")
	d.hear("<helperbot> Erin is now an admin of 'den'.", den...)
	d.answers(alice, "/op erin", "<helperbot> Erin is already an admin of 'den'.")

	// An op'd admin has the rights of an admin: the topic, kick, and is
	// not banned.
	bob.Send("/topic bob's")
	d.hear("<helperbot> bob set the topic of 'den' to: bob's", den...)
	d.answers(bob, "/ban alice", "<helperbot> You cannot ban an admin of 'den'.")
	d.answers(alice, "/ban bob", "<helperbot> You cannot ban an admin of 'den'.")
	// But only the creator (or an operator) may deop.
	d.answers(bob, "/deop dave", "<helperbot> You must be an admin to deop.")
	d.answers(carol, "/deop bob", "<helperbot> You must be an admin to deop.")
	d.answers(dave, "/deop bob", "<helperbot> You must be an admin to deop.")

	d.answers(alice, "/deop", lineNotFound)
	d.answers(alice, "/deop alice", "<helperbot> The creator of 'den' is always its admin.")
	d.answers(alice, "/deop Carol", "<helperbot> carol is not an admin of 'den'.")
	d.answers(alice, "/deop nobody", "<helperbot> nobody is not an admin of 'den'.")
	alice.Send("/deop DAVE")
	for _, c := range append(den, dave) {
		c.Expect("<helperbot> dave is no longer an admin of 'den'.")
	}
	d.quiet()
	alice.Send("/deop erin") // offline: shown as made admin
	d.hear("<helperbot> Erin is no longer an admin of 'den'.", den...)
	alice.Send("/deop bob")
	d.hear("<helperbot> bob is no longer an admin of 'den'.", den...)
	d.answers(alice, "/deop bob", "<helperbot> bob is not an admin of 'den'.")
	users(carol, "alice (admin)", "bob", "carol")
	d.answers(bob, "/topic again", "<helperbot> You must be an admin to set the topic.")
	d.answers(bob, "/op carol", "<helperbot> You must be an admin to op.")
}

func TestLockAndInvite(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol, dave := d.alice, d.bob, d.carol, d.dave
	den := []*apptest.Client{alice, bob, carol}

	for _, verb := range []string{"lock", "unlock", "invite"} {
		d.answers(bob, "/"+verb+" dave", "<helperbot> You must be an admin to "+verb+".")
		d.answers(dave, "/"+verb, "<helperbot> You must be an admin to "+verb+".")
	}
	d.answers(alice, "/invite dave", "<helperbot> 'den' is open to everyone.")

	alice.Send("/lock")
	d.hear("<helperbot> 'den' is now invite-only.", den...)
	d.answers(dave, "/rooms", "<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. den (invite-only)")

	// Someone not invited stays where they were; those inside stay too.
	d.answers(dave, "/switch DEN", "<helperbot> 'den' is invite-only.")
	d.answers(dave, "/room", roomLine("chat"))
	d.answers(carol, "/room", roomLine("den"))
	carol.Send("/switch chat")
	carol.Expect(switchedLine("chat"), joinLine("carol"))
	dave.Expect(joinLine("carol"))
	d.hear(leaveLine("carol"), alice, bob)
	d.answers(carol, "/switch den", "<helperbot> 'den' is invite-only.")

	// A banned name gets the banned line, invited or not: bans first.
	alice.Send("/ban erin")
	alice.Expect("<helperbot> erin is banned from 'den'.")
	erin := apptest.Login(t, d.srv.Telnet, "erin")
	carol.Expect(joinLine("erin"))
	dave.Expect(joinLine("erin"))
	d.answers(erin, "/switch den", "<helperbot> You're banned from this room and cannot join.")
	for _, in := range []string{"/invite", "/invite system", "/invite no!pe"} {
		d.answers(alice, in, lineNotFound)
	}
	alice.Send("/invite ERIN")
	alice.Expect("<helperbot> erin may now join 'den'.")
	erin.Expect("<helperbot> alice invited you to 'den'.")
	d.quiet()
	d.answers(erin, "/switch den", "<helperbot> You're banned from this room and cannot join.")

	// Invited while online: told, and may come in, for good.
	alice.Send("/invite dave")
	alice.Expect("<helperbot> dave may now join 'den'.")
	dave.Expect("<helperbot> alice invited you to 'den'.")
	d.quiet()
	dave.Send("/switch den")
	dave.Expect(switchedLine("den"), joinLine("dave"))
	carol.Expect(leaveLine("dave"))
	erin.Expect(leaveLine("dave"))
	d.hear(joinLine("dave"), alice, bob)

	// An admin made with /op may come in.
	alice.Send("/op carol")
	for _, c := range []*apptest.Client{alice, bob, dave, carol} {
		c.Expect("<helperbot> carol is now an admin of 'den'.")
	}
	d.quiet()
	carol.Send("/switch den")
	carol.Expect(switchedLine("den"), joinLine("carol"))
	erin.Expect(leaveLine("carol"))
	d.hear(joinLine("carol"), alice, bob, dave)
	// So may its creator, after leaving.
	alice.Send("/switch chat")
	alice.Expect(switchedLine("chat"), joinLine("alice"))
	erin.Expect(joinLine("alice"))
	d.hear(leaveLine("alice"), bob, carol, dave)
	alice.Send("/switch den")
	alice.Expect(switchedLine("den"), joinLine("alice"))
	erin.Expect(leaveLine("alice"))
	d.hear(joinLine("alice"), bob, carol, dave)

	// Unlocked: open to everyone, invitations forgotten.
	d.answers(bob, "/unlock", "<helperbot> You must be an admin to unlock.")
	alice.Send("/unlock")
	d.hear("<helperbot> 'den' is open to everyone again.", alice, bob, carol, dave)
	d.answers(erin, "/rooms", "<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. den")
	alice.Send("/lock")
	d.hear("<helperbot> 'den' is now invite-only.", alice, bob, carol, dave)
	dave.Send("/switch chat")
	dave.Expect(switchedLine("chat"), joinLine("dave"))
	erin.Expect(joinLine("dave"))
	d.hear(leaveLine("dave"), alice, bob, carol)
	d.answers(dave, "/switch den", "<helperbot> 'den' is invite-only.")
}

// TestOperatorRights: an operator (an SSH key of --ops-file) is an admin
// of every room: may deop, enter a locked room, and make admins of chat,
// which cannot be locked. The session is the engine's, as the doors make it.
func TestOperatorRights(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol, dave := d.alice, d.bob, d.carol, d.dave
	den := []*apptest.Client{alice, bob, carol}
	alice.Send("/lock")
	d.hear("<helperbot> 'den' is now invite-only.", den...)
	alice.Send("/op bob")
	d.hear("<helperbot> bob is now an admin of 'den'.", den...)

	root := operator(t, d.srv, "root")
	dave.Expect(joinLine("root"))
	// Input runs the command, hooks included, before it returns.
	say := func(in string, want ...string) {
		t.Helper()
		chattest.Lines(root) // what came before
		root.Input(t.Context(), in)
		if got := strings.Join(chattest.Lines(root), ""); got != strings.Join(want, "\n")+"\n" {
			t.Fatalf("%s: got %q, want %q", in, got, want)
		}
	}
	say("/lock", "<helperbot> 'chat' is open to everyone.")
	say("/unlock", "<helperbot> 'chat' is open to everyone.")
	// chat has admins only by /op, from an operator; it stays open.
	say("/op dave", "<helperbot> dave is now an admin of 'chat'.")
	dave.Expect("<helperbot> dave is now an admin of 'chat'.")
	d.answers(dave, "/lock", "<helperbot> 'chat' is open to everyone.")
	d.answers(dave, "/invite alice", "<helperbot> 'chat' is open to everyone.")
	d.answers(dave, "/unlock", "<helperbot> 'chat' is open to everyone.")
	dave.Send("/topic Welcome")
	d.hear("<helperbot> dave set the topic of 'chat' to: Welcome", dave)
	say("/switch den", "<system> Switched to room 'den'", joinLine("root"))
	dave.Expect(leaveLine("root"))
	d.hear(joinLine("root"), den...)
	say("/deop bob", "<helperbot> bob is no longer an admin of 'den'.")
	d.hear("<helperbot> bob is no longer an admin of 'den'.", den...)
}

// loginLines dials addr, logs in as name and expects the login lines want
// after the welcome (from "Logging in as" on).
func loginLines(t *testing.T, addr, name string, want ...string) *apptest.Client {
	t.Helper()
	c := apptest.Dial(t, addr)
	c.Welcome()
	c.Send(name)
	c.Expect(want...)
	return c
}

// operator logs name in on srv's hub as a server operator, as the SSH door
// does for a key of --ops-file; the test types its lines with Input.
func operator(t *testing.T, srv *apptest.Server, name string) *chat.Session {
	t.Helper()
	s, err := srv.App.Hub().Login(t.Context(), name, chat.LoginOptions{Door: "ssh", KeyID: "SHA256:" + name, Operator: true, Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatalf("login as an operator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestRestartKeepsRights: topics (chat's included), admins made with /op,
// locks and invitations survive a restart, through the real server; an
// invitation to a protected name that was offline is told at its next
// login, over SSH, once, also across a restart; a room with a topic does
// not expire.
func TestRestartKeepsRights(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	srv := apptest.Start(t, cfg)
	frankKey := apptest.NewKey(t)
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "frank", frankKey)) // frank's name is now protected by its key

	alice := apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "Den", "Den")
	for in, want := range map[string]string{
		"/topic Plans for friday": "<helperbot> alice set the topic of 'Den' to: Plans for friday",
		"/op Bob":                 "<helperbot> Bob is now an admin of 'Den'.",
		"/lock":                   "<helperbot> 'Den' is now invite-only.",
	} {
		alice.Send(in)
		alice.Expect(want)
	}
	alice.Send("/invite dave") // offline, not protected: nobody to tell
	alice.Expect("<helperbot> dave may now join 'Den'.")
	alice.Send("/invite frank") // offline, protected: told at the next login
	alice.Expect("<helperbot> frank may now join 'Den'.")
	enterRoom(alice, "alice", "attic", "attic")
	alice.Send("/topic kept")
	alice.Expect("<helperbot> alice set the topic of 'attic' to: kept")
	enterRoom(alice, "alice", "empty", "empty")
	operator(t, srv, "root").Input(t.Context(), "/topic Welcome all")
	alice.Quiet()
	srv.Stop(t)

	cfg.RoomExpiry = time.Nanosecond // every room is older than that now
	srv = apptest.Start(t, cfg)
	alice = loginLines(t, srv.Telnet, "alice", "<system> Logging in as alice", "<system> Topic: Welcome all", joinLine("alice"))
	alice.Send("/rooms")
	alice.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den (invite-only)", "<helperbot> 3. attic")
	alice.Send("/switch den")
	alice.Expect(switchedLine("Den"), "<system> Topic: Plans for friday", joinLine("alice"))

	carol := loginLines(t, srv.Telnet, "carol", "<system> Logging in as carol", "<system> Topic: Welcome all", joinLine("carol"))
	carol.Send("/switch den")
	carol.Expect("<helperbot> 'Den' is invite-only.")
	bob := loginLines(t, srv.Telnet, "bob", "<system> Logging in as bob", "<system> Topic: Welcome all", joinLine("bob"))
	carol.Expect(joinLine("bob"))
	bob.Send("/switch den")
	bob.Expect(switchedLine("Den"), "<system> Topic: Plans for friday", joinLine("bob"))
	alice.Expect(joinLine("bob"))
	carol.Expect(leaveLine("bob"))
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)", "<helperbot> 2. bob (admin)")
	dave := loginLines(t, srv.Telnet, "dave", "<system> Logging in as dave", "<system> Topic: Welcome all", joinLine("dave"))
	carol.Expect(joinLine("dave"))
	dave.Send("/switch den")
	dave.Expect(switchedLine("Den"), "<system> Topic: Plans for friday", joinLine("dave"))
	carol.Expect(leaveLine("dave"))

	// Over SSH without a pty: the invitation, then the room it opens.
	frank := apptest.DialSSHLines(t, srv.SSH, "frank", frankKey)
	frank.Expect("<system> Welcome to the chat room!", "<system> Logging in as frank", "<system> Topic: Welcome all",
		"<helperbot> alice invited you to 'Den'.", joinLine("frank"))
	frank.Send("/switch Den")
	frank.Expect(switchedLine("Den"), "<system> Topic: Plans for friday", joinLine("frank"))
	frank.Send("/topic")
	frank.Expect("<helperbot> The topic of 'Den' is: Plans for friday")
	frank.Send("/topic mine now")
	frank.Expect("<helperbot> You must be an admin to set the topic.")
	leaveSSH(t, frank)
	carol.Expect(joinLine("frank"), leaveLine("frank"))
	allQuiet(carol)
	srv.Stop(t)

	// Told once: not again at the next login, after another restart.
	srv = apptest.Start(t, cfg)
	frank = apptest.DialSSHLines(t, srv.SSH, "frank", frankKey)
	frank.Expect("<system> Welcome to the chat room!", "<system> Logging in as frank", "<system> Topic: Welcome all", joinLine("frank"))
	frank.Quiet()
}

// TestInviteToldAtNextLogin: an invitation to a protected name that is
// offline is told at its next login, between the topic and the join line,
// and once only; an unprotected name is never told later.
func TestInviteToldAtNextLogin(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	key := apptest.NewKey(t)
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "frank", key))
	gina := apptest.Login(t, srv.Telnet, "gina")
	gina.Send("/leave")
	gina.Until("<system> Leaving chat room.")

	alice := apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "den")
	alice.Send("/lock")
	alice.Expect("<helperbot> 'den' is now invite-only.")
	for _, name := range []string{"FRANK", "gina"} {
		alice.Send("/invite " + name)
		alice.Expect("<helperbot> " + name + " may now join 'den'.")
	}
	gina = apptest.Login(t, srv.Telnet, "gina") // not protected: not told
	gina.Send("/switch den")
	gina.Expect(switchedLine("den"), joinLine("gina"))
	alice.Expect(joinLine("gina"))
	frank := apptest.DialSSHLines(t, srv.SSH, "frank", key)
	frank.Expect("<system> Welcome to the chat room!", "<system> Logging in as frank",
		"<helperbot> alice invited you to 'den'.", joinLine("frank"))
	leaveSSH(t, frank)
	frank = apptest.LoginSSH(t, srv.SSH, "frank", key)
	frank.Quiet()
	allQuiet(alice, gina)
}

// unlessFailing returns errDiskFull while s fails, else what write returns.
func (s *failingStore) unlessFailing(write func() error) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return write()
}

func (s *failingStore) SetTopic(ctx context.Context, room, topic string) error {
	return s.unlessFailing(func() error { return s.Memory.SetTopic(ctx, room, topic) })
}

func (s *failingStore) SetLocked(ctx context.Context, room string, locked bool) error {
	return s.unlessFailing(func() error { return s.Memory.SetLocked(ctx, room, locked) })
}

func (s *failingStore) SaveAdmin(ctx context.Context, a chat.AdminRecord) error {
	return s.unlessFailing(func() error { return s.Memory.SaveAdmin(ctx, a) })
}

func (s *failingStore) DeleteAdmin(ctx context.Context, room, name string) error {
	return s.unlessFailing(func() error { return s.Memory.DeleteAdmin(ctx, room, name) })
}

func (s *failingStore) SaveInvite(ctx context.Context, i chat.InviteRecord) error {
	return s.unlessFailing(func() error { return s.Memory.SaveInvite(ctx, i) })
}

// TestRightsStoreFailureTold: when the store cannot write, a change of
// rights is answered with a line that says so, and nothing changes.
func TestRightsStoreFailureTold(t *testing.T) {
	t.Parallel()
	st := &failingStore{Memory: store.NewMemory(0)}
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.Store = st
	srv := apptest.Start(t, cfg)
	bob, alice := oneAway(t, srv, "bob", "alice", "Den")

	st.fail.Store(true)
	for in, want := range map[string]string{
		"/topic plans": "<helperbot> Could not set the topic, please try again.",
		"/topic -":     "<helperbot> Could not set the topic, please try again.",
		"/op bob":      "<helperbot> Could not op bob, please try again.",
		"/lock":        "<helperbot> Could not lock 'Den', please try again.",
	} {
		alice.Send(in)
		alice.Expect(want)
	}
	alice.Send("/topic")
	alice.Expect("<helperbot> 'Den' has no topic.")
	bob.Send("/rooms")
	bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den")

	st.fail.Store(false)
	alice.Send("/lock")
	alice.Expect("<helperbot> 'Den' is now invite-only.")
	alice.Send("/op bob")
	alice.Expect("<helperbot> bob is now an admin of 'Den'.")
	bob.Expect("<helperbot> bob is now an admin of 'Den'.")
	st.fail.Store(true)
	for in, want := range map[string]string{
		"/invite carol": "<helperbot> Could not invite carol, please try again.",
		"/deop bob":     "<helperbot> Could not deop bob, please try again.",
		"/unlock":       "<helperbot> Could not unlock 'Den', please try again.",
	} {
		alice.Send(in)
		alice.Expect(want)
	}
	carol := apptest.Login(t, srv.Telnet, "carol")
	bob.Expect(joinLine("carol"))
	carol.Send("/switch den")
	carol.Expect("<helperbot> 'Den' is invite-only.")
	bob.Send("/switch den") // still an admin
	bob.Expect(switchedLine("Den"), joinLine("bob"))
	alice.Expect(joinLine("bob"))
	carol.Expect(leaveLine("bob"))
	allQuiet(alice, carol)
}
