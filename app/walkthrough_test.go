package app_test

import (
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
)

// TestIssue11Walkthrough is issue 11's "Done means", once, over real
// clients on both doors, then a restart of the real server on the same
// data folder: two admins (alice, Den's creator, on telnet; bob, made one
// with /op, on SSH) run a room with a topic, mute and time-ban a troll,
// lock the room and invite a friend, who gets in while a stranger does
// not; an operator (root, by a key of --ops-file) bans a spammer from the
// server by key and address; carol marks herself away and ignores the
// troll. After the restart all of it holds: the topic, both admins, the
// lock and the invitation, the timed ban until its end (then the troll
// gets in, still muted), the server ban of the name, key and address, and
// the ignore list of carol's key-owned name.
func TestIssue11Walkthrough(t *testing.T) {
	t.Parallel()
	c := &clock{}
	opKey, bobKey, friendKey, carolKey, spamKey := apptest.NewKey(t), apptest.NewKey(t), apptest.NewKey(t), apptest.NewKey(t), apptest.NewKey(t)
	cfg := opsConfig(t, opKey)
	cfg.Now = c.now
	srv := apptest.Start(t, cfg)
	const (
		topicSet  = "<helperbot> alice set the topic of 'Den' to: Plans for friday"
		topicLine = "<system> Topic: Plans for friday"
		locked    = "<helperbot> 'Den' is invite-only."
		mutedLine = "<helperbot> You're muted in 'Den'."
		spamGone  = "<helperbot> spammer is banned from this server."
	)
	// inDen switches u, logged in as name, to Den, which has a topic.
	inDen := func(u *apptest.Client, name string) {
		t.Helper()
		u.Send("/switch den")
		u.Expect(switchedLine("Den"), topicLine, joinLine(name))
	}

	// Two admins and a topic.
	alice := apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "Den")
	alice.Send("/topic Plans for friday")
	alice.Expect(topicSet)
	bob := apptest.LoginSSH(t, srv.SSH, "bob", bobKey)
	alice.Send("/op bob")
	alice.Expect("<helperbot> bob is now an admin of 'Den'.")
	bob.Expect("<helperbot> bob is now an admin of 'Den'.")
	inDen(bob.Client, "bob")
	alice.Expect(joinLine("bob"))

	// A troll, muted by one admin, then banned for 10m by the other.
	troll := apptest.Login(t, srv.Telnet, "troll")
	inDen(troll, "troll")
	alice.Expect(joinLine("troll"))
	bob.Expect(joinLine("troll"))
	troll.Send("spam!")
	alice.Expect("<troll> spam!")
	bob.Expect("<troll> spam!")
	bob.Send("/mute troll")
	bob.Expect("<helperbot> troll is muted in 'Den'.")
	troll.Expect("<helperbot> You've been muted in 'Den'.")
	troll.Send("more spam")
	troll.Expect(mutedLine)
	allQuiet(alice, bob.Client)
	banned := c.now()
	alice.Send("/ban troll 10m")
	alice.Expect(leaveLine("troll"), "<helperbot> troll is banned from 'Den' for 10m.")
	bannedBy := c.now()
	bob.Expect(leaveLine("troll"))
	troll.Expect(joinLine("troll"), "<helperbot> You've been banned from the 'Den' room for 10m. You've been returned to 'chat'.")
	troll.Send("/switch den")
	troll.Expect(lineBannedIn)

	// Locked; a friend invited gets in, a stranger does not.
	alice.Send("/lock")
	alice.Expect("<helperbot> 'Den' is now invite-only.")
	bob.Expect("<helperbot> 'Den' is now invite-only.")
	friend := apptest.LoginSSH(t, srv.SSH, "friend", friendKey)
	troll.Expect(joinLine("friend"))
	stranger := apptest.Login(t, srv.Telnet, "stranger")
	troll.Expect(joinLine("stranger"))
	friend.Expect(joinLine("stranger"))
	stranger.Send("/switch den")
	stranger.Expect(locked)
	alice.Send("/invite friend")
	alice.Expect("<helperbot> friend may now join 'Den'.")
	friend.Expect("<helperbot> alice invited you to 'Den'.")
	inDen(friend.Client, "friend")
	alice.Expect(joinLine("friend"))
	bob.Expect(joinLine("friend"))
	troll.Expect(leaveLine("friend"))
	stranger.Expect(leaveLine("friend"))

	// Away, and ignoring the troll.
	carol := apptest.LoginSSH(t, srv.SSH, "carol", carolKey)
	troll.Expect(joinLine("carol"))
	stranger.Expect(joinLine("carol"))
	carol.Send("/away tea")
	carol.Expect("<system> You're now marked as away: tea")
	carol.Send("/ignore troll")
	carol.Expect("<system> You're now ignoring troll.")
	troll.Send("hey carol")
	stranger.Expect("<troll> hey carol")
	stranger.Send("/w carol are you there?")
	carol.Expect("<helperbot> stranger whispered to you: are you there?")
	stranger.Expect("<helperbot> carol is away: tea")

	// An operator bans a spammer on SSH from the server: name, key, address.
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	for _, u := range []*apptest.Client{troll, stranger, carol.Client} {
		u.Expect(joinLine("root"))
	}
	spammer := apptest.DialSSHLinesFrom(t, srv.SSH, "127.0.0.3", "spammer", spamKey)
	spammer.Expect("<system> Welcome to the chat room!", "<system> Logging in as spammer", joinLine("spammer"))
	for _, u := range []*apptest.Client{troll, stranger, carol.Client, root.Client} {
		u.Expect(joinLine("spammer"))
	}
	root.Send("/gban spammer")
	spammer.ExpectClosed(lineServerBanned)
	for _, u := range []*apptest.Client{troll, stranger, carol.Client} {
		u.Expect(leaveLine("spammer"))
	}
	root.Expect(leaveLine("spammer"), spamGone)
	allQuiet(alice, bob.Client, troll, friend.Client, stranger, carol.Client, root.Client)
	srv.Stop(t)

	// Five minutes later, the same data folder.
	c.advance(5 * time.Minute)
	srv = apptest.Start(t, cfg)

	// The topic and both admins.
	alice = apptest.Login(t, srv.Telnet, "alice")
	inDen(alice, "alice")
	bob = apptest.LoginSSH(t, srv.SSH, "bob", bobKey)
	inDen(bob.Client, "bob")
	alice.Expect(joinLine("bob"))
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)", "<helperbot> 2. bob (admin)")
	// The timed ban, with its end.
	bob.Send("/bans")
	bob.Expect("<helperbot> Banned from 'Den':")
	expectUntil(t, bob.Client, "<helperbot> 1. troll", banned.Add(10*time.Minute), bannedBy.Add(10*time.Minute))

	// The lock and the invitation.
	stranger = apptest.Login(t, srv.Telnet, "stranger")
	stranger.Send("/rooms")
	stranger.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den (invite-only)")
	stranger.Send("/switch den")
	stranger.Expect(locked)
	friend = apptest.LoginSSH(t, srv.SSH, "friend", friendKey)
	stranger.Expect(joinLine("friend"))
	inDen(friend.Client, "friend")
	alice.Expect(joinLine("friend"))
	bob.Expect(joinLine("friend"))
	stranger.Expect(leaveLine("friend"))

	// The server ban: the name, the key, the address.
	refusedTelnet(t, srv.Telnet, "spammer")
	refusedSSH(t, srv.SSH, "", "spammer", nil)
	refusedSSH(t, srv.SSH, "", "innocent", spamKey)
	apptest.DialFrom(t, srv.Telnet, "127.0.0.3").ExpectClosed(lineServerBanned)
	root = apptest.LoginSSH(t, srv.SSH, "root", opKey)
	stranger.Expect(joinLine("root"))
	root.Send("/gbans")
	root.Expect("<helperbot> Banned from this server:",
		"<helperbot> 1. spammer key "+fingerprint(spamKey)+" from 127.0.0.3 (for good)")

	// carol's ignore list, kept for her key-owned name.
	carol = apptest.LoginSSH(t, srv.SSH, "carol", carolKey)
	stranger.Expect(joinLine("carol"))
	root.Expect(joinLine("carol"))
	carol.Send("/ignore")
	carol.Expect("<system> You're ignoring: troll")
	troll = apptest.Login(t, srv.Telnet, "troll")
	stranger.Expect(joinLine("troll"))
	root.Expect(joinLine("troll"))
	troll.Send("I'm back")
	stranger.Expect("<troll> I'm back")
	root.Expect("<troll> I'm back")
	for _, l := range carol.Sync() {
		if strings.HasPrefix(l, "<troll>") {
			t.Errorf("carol, ignoring troll, got %q", l)
		}
	}

	// Still banned, five minutes short of the end. Once it ended, the lock
	// is what keeps the troll out; invited, in, and still muted there.
	troll.Send("/switch den")
	troll.Expect(lineBannedIn)
	c.advance(5*time.Minute + time.Second)
	troll.Send("/switch den")
	troll.Expect(locked)
	alice.Send("/invite troll")
	alice.Expect("<helperbot> troll may now join 'Den'.")
	troll.Expect("<helperbot> alice invited you to 'Den'.")
	inDen(troll, "troll")
	for _, u := range []*apptest.Client{alice, bob.Client, friend.Client} {
		u.Expect(joinLine("troll"))
	}
	for _, u := range []*apptest.Client{stranger, root.Client, carol.Client} {
		u.Expect(leaveLine("troll"))
	}
	troll.Send("spam again")
	troll.Expect(mutedLine)
	bob.Send("/bans")
	bob.Expect("<helperbot> Nobody is banned from 'Den'.")
	allQuiet(alice, bob.Client, troll, friend.Client, stranger, carol.Client, root.Client)
}
