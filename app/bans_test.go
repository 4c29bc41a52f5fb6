package app_test

import (
	"sync/atomic"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// PROTOCOL.md's second release: /ban NAME [DURATION], /bans, /mute and
// /unmute over real telnet (and a sample over SSH without a pty): every
// line, who gets it and who gets nothing.

const (
	lineDurations = "<helperbot> " + chat.TextDurations
	lineBannedIn  = "<helperbot> You're banned from this room and cannot join."
)

// expectUntil reads the next line, c's /bans line prefix for a timed ban,
// and checks it shows " (until YYYY-MM-DD HH:MM)" with a minute between
// lo and hi (the ban's end is known to lie between them).
func expectUntil(t *testing.T, c *apptest.Client, prefix string, lo, hi time.Time) {
	t.Helper()
	l := c.Next()
	for m := lo.Truncate(time.Minute); !m.After(hi); m = m.Add(time.Minute) {
		if l == prefix+" (until "+m.Local().Format("2006-01-02 15:04")+")" {
			return
		}
	}
	t.Fatalf("got %q, want %q with a time from %v to %v", l, prefix+" (until YYYY-MM-DD HH:MM)", lo, hi)
}

// inDen logs in alice, who creates Den (its admin), and bob, who joins
// her there.
func inDen(t *testing.T, srv *apptest.Server) (alice, bob *apptest.Client) {
	t.Helper()
	alice = apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "Den")
	bob = apptest.Login(t, srv.Telnet, "bob")
	enter(bob, "bob", "Den")
	alice.Expect(joinLine("bob"))
	return alice, bob
}

func TestBanTimed(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob := inDen(t, srv)
	carol := apptest.Login(t, srv.Telnet, "carol") // in chat

	// Refusals: not an admin, not a DURATION, an admin. Nothing is banned.
	bob.Send("/ban alice 2h")
	bob.Expect("<helperbot> You must be an admin to ban.")
	for _, bad := range []string{"soon", "0m", "366d", "2w", "1.5h", "-1h"} {
		alice.Send("/ban bob " + bad)
		alice.Expect(lineDurations)
	}
	alice.Send("/ban alice 2h")
	alice.Expect("<helperbot> You cannot ban an admin of 'Den'.")
	alice.Send("/ban")
	alice.Expect(lineNotFound)
	allQuiet(alice, bob, carol)

	// A timed ban of someone in the room.
	before := time.Now()
	alice.Send("/ban BOB 2H")
	alice.Expect(leaveLine("bob"), "<helperbot> bob is banned from 'Den' for 2h.")
	after := time.Now()
	bob.Expect(joinLine("bob"), "<helperbot> You've been banned from the 'Den' room for 2h. You've been returned to 'chat'.")
	carol.Expect(joinLine("bob"))
	bob.Send("/switch den")
	bob.Expect(lineBannedIn)

	// Timed and for good, of names not in the room (online elsewhere, or not).
	alice.Send("/ban carol 7d ignored")
	alice.Expect("<helperbot> carol is banned from 'Den' for 7d.")
	alice.Send("/ban Troll")
	alice.Expect("<helperbot> Troll is banned from 'Den'.")
	allQuiet(alice, bob, carol)

	// /bans: admins only, in the order banned.
	for _, c := range []*apptest.Client{bob, carol} {
		c.Send("/bans")
		c.Expect("<helperbot> You must be an admin to see the bans.")
	}
	alice.Send("/bans")
	alice.Expect("<helperbot> Banned from 'Den':")
	expectUntil(t, alice, "<helperbot> 1. bob", before.Add(2*time.Hour), after.Add(2*time.Hour))
	expectUntil(t, alice, "<helperbot> 2. carol", before.Add(7*24*time.Hour), time.Now().Add(7*24*time.Hour))
	alice.Expect("<helperbot> 3. Troll (for good)")
	alice.Send("/unban bob")
	alice.Expect("<helperbot> bob is no longer banned from 'Den'.")
	alice.Send("/ban carol") // now for good, in its place
	alice.Expect("<helperbot> carol is banned from 'Den'.")
	alice.Send("/bans")
	alice.Expect("<helperbot> Banned from 'Den':", "<helperbot> 1. carol (for good)", "<helperbot> 2. Troll (for good)")
	enter(bob, "bob", "Den")
	alice.Expect(joinLine("bob"))
	carol.Expect(leaveLine("bob"))

	alice.Send("/switch Attic")
	alice.Expect(switchedLine("Attic"), joinLine("alice"))
	bob.Expect(leaveLine("alice"))
	alice.Send("/bans")
	alice.Expect("<helperbot> Nobody is banned from 'Attic'.")
	allQuiet(alice, bob, carol)
}

func TestMute(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob := inDen(t, srv)
	dave := apptest.Login(t, srv.Telnet, "dave")
	enter(dave, "dave", "Den")
	alice.Expect(joinLine("dave"))
	bob.Expect(joinLine("dave"))
	carol := apptest.Login(t, srv.Telnet, "carol") // in chat
	eve := apptest.Login(t, srv.Telnet, "eve")
	carol.Expect(joinLine("eve"))

	// Refusals.
	bob.Send("/mute dave")
	bob.Expect("<helperbot> You must be an admin to mute.")
	bob.Send("/unmute dave")
	bob.Expect("<helperbot> You must be an admin to unmute.")
	alice.Send("/mute ALICE")
	alice.Expect("<helperbot> You cannot mute an admin of 'Den'.")
	alice.Send("/mute bob later")
	alice.Expect(lineDurations)
	alice.Send("/mute")
	alice.Expect(lineNotFound)
	alice.Send("/mute no/slash")
	alice.Expect(lineNotFound)
	alice.Send("/unmute")
	alice.Expect("<helperbot> Please specify a username to unmute.")
	alice.Send("/unmute Dave")
	alice.Expect("<helperbot> dave is not muted in 'Den'.")
	allQuiet(alice, bob, dave, carol, eve)

	// A mute: messages and actions are not delivered, whispers are.
	alice.Send("/mute Bob 30m")
	alice.Expect("<helperbot> bob is muted in 'Den' for 30m.")
	bob.Expect("<helperbot> You've been muted in 'Den'.")
	bob.Send("hello")
	bob.Expect("<helperbot> You're muted in 'Den'.")
	bob.Send("/me waves")
	bob.Expect("<helperbot> You're muted in 'Den'.")
	bob.Send("/w dave psst")
	dave.Expect("<helperbot> bob whispered to you: psst")
	allQuiet(alice, bob, dave, carol, eve)

	// A muted user who is away stays away: they said nothing.
	bob.Send("/away brb")
	bob.Expect("<system> You're now marked as away: brb")
	bob.Send("still muted")
	bob.Expect("<helperbot> You're muted in 'Den'.")
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)", "<helperbot> 2. bob (away)", "<helperbot> 3. dave")
	bob.Send("/back")
	bob.Expect("<system> You're no longer marked as away.")

	// A name elsewhere is told wherever they are, and muted in Den only;
	// a name offline is muted all the same.
	alice.Send("/mute carol")
	alice.Expect("<helperbot> carol is muted in 'Den'.")
	carol.Expect("<helperbot> You've been muted in 'Den'.")
	carol.Send("fine in chat")
	eve.Expect("<carol> fine in chat")
	alice.Send("/mute Ghost 1h")
	alice.Expect("<helperbot> Ghost is muted in 'Den' for 1h.")
	enter(carol, "carol", "Den")
	eve.Expect(leaveLine("carol"))
	for _, c := range []*apptest.Client{alice, bob, dave} {
		c.Expect(joinLine("carol"))
	}
	carol.Send("hi den")
	carol.Expect("<helperbot> You're muted in 'Den'.")
	allQuiet(alice, bob, dave, carol, eve)

	// Unmuted: told, and heard again.
	alice.Send("/unmute BOB")
	alice.Expect("<helperbot> bob is no longer muted in 'Den'.")
	bob.Expect("<helperbot> You're no longer muted in 'Den'.")
	bob.Send("free")
	for _, c := range []*apptest.Client{alice, dave, carol} {
		c.Expect("<bob> free")
	}
	alice.Send("/unmute ghost")
	alice.Expect("<helperbot> Ghost is no longer muted in 'Den'.")
	alice.Send("/unmute bob")
	alice.Expect("<helperbot> bob is not muted in 'Den'.")
	allQuiet(alice, bob, dave, carol, eve)
}

// TestBanByKeySSH: over SSH without a pty, a user banned while logged in
// with a key is kept out under another name that key logs in with; a
// sample of the mute lines on that door.
func TestBanByKeySSH(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	key, other := apptest.NewKey(t), apptest.NewKey(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "Den")
	troll := apptest.LoginSSH(t, srv.SSH, "troll", key)
	enter(troll.Client, "troll", "Den")
	alice.Expect(joinLine("troll"))

	alice.Send("/ban troll 1h")
	alice.Expect(leaveLine("troll"), "<helperbot> troll is banned from 'Den' for 1h.")
	troll.Expect(joinLine("troll"), "<helperbot> You've been banned from the 'Den' room for 1h. You've been returned to 'chat'.")
	troll.Send("/switch Den")
	troll.Expect(lineBannedIn)
	troll2 := apptest.LoginSSH(t, srv.SSH, "troll2", key)
	troll.Expect(joinLine("troll2"))
	troll2.Send("/switch den")
	troll2.Expect(lineBannedIn)

	friend := apptest.LoginSSH(t, srv.SSH, "friend", other)
	troll.Expect(joinLine("friend"))
	troll2.Expect(joinLine("friend"))
	enter(friend.Client, "friend", "Den")
	alice.Expect(joinLine("friend"))
	troll.Expect(leaveLine("friend"))
	troll2.Expect(leaveLine("friend"))
	alice.Send("/mute friend")
	alice.Expect("<helperbot> friend is muted in 'Den'.")
	friend.Expect("<helperbot> You've been muted in 'Den'.")
	friend.Send("hi there")
	friend.Expect("<helperbot> You're muted in 'Den'.")
	friend.Send("/unmute friend")
	friend.Expect("<helperbot> You must be an admin to unmute.")
	alice.Send("/unmute friend")
	alice.Expect("<helperbot> friend is no longer muted in 'Den'.")
	friend.Expect("<helperbot> You're no longer muted in 'Den'.")
	friend.Send("hi there")
	alice.Expect("<friend> hi there")
	allQuiet(alice, troll.Client, troll2.Client, friend.Client)
}

// clock is a test's clock for the engine: the real time, moved on by
// whatever the test adds.
type clock struct{ ahead atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *clock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// TestTimedSurviveRestart: timed and keyed bans and mutes survive a
// restart, through the real server on its SQLite file; a ban and a mute
// for 10m set 9 minutes before the restart last 1 more minute.
func TestTimedSurviveRestart(t *testing.T) {
	t.Parallel()
	c := &clock{}
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.Now = c.now
	srv := apptest.Start(t, cfg)
	key := apptest.NewKey(t)

	alice := apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "Den")
	troll := apptest.LoginSSH(t, srv.SSH, "troll", key)
	before := c.now()
	alice.Send("/ban troll 10m")
	alice.Expect("<helperbot> troll is banned from 'Den' for 10m.")
	alice.Send("/mute carol 10m")
	alice.Expect("<helperbot> carol is muted in 'Den' for 10m.")
	after := c.now()
	alice.Send("/ban mallory")
	alice.Expect("<helperbot> mallory is banned from 'Den'.")
	alice.Send("/mute dave")
	alice.Expect("<helperbot> dave is muted in 'Den'.")
	alice.Quiet()
	troll.Quiet()
	srv.Stop(t)

	c.advance(9 * time.Minute)
	srv = apptest.Start(t, cfg)
	alice = apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "den", "Den")
	alice.Send("/bans")
	alice.Expect("<helperbot> Banned from 'Den':")
	expectUntil(t, alice, "<helperbot> 1. troll", before.Add(10*time.Minute), after.Add(10*time.Minute))
	alice.Expect("<helperbot> 2. mallory (for good)")
	troll2 := apptest.LoginSSH(t, srv.SSH, "troll2", key) // the key is banned
	troll2.Send("/switch Den")
	troll2.Expect(lineBannedIn)
	var talkers []*apptest.Client
	for _, name := range []string{"carol", "dave"} {
		u := apptest.Login(t, srv.Telnet, name)
		enter(u, name, "Den")
		alice.Expect(joinLine(name))
		troll2.Expect(joinLine(name), leaveLine(name)) // in chat
		for _, c := range talkers {
			c.Expect(joinLine(name))
		}
		u.Send("hi from " + name)
		u.Expect("<helperbot> You're muted in 'Den'.")
		talkers = append(talkers, u)
	}
	alice.Quiet()

	c.advance(time.Minute + time.Second) // the timed ones end; the others stay
	troll2.Send("/switch Den")
	troll2.Expect(switchedLine("Den"), joinLine("troll2"))
	for _, u := range append([]*apptest.Client{alice}, talkers...) {
		u.Expect(joinLine("troll2"))
	}
	talkers[0].Send("back again")
	for _, u := range []*apptest.Client{alice, talkers[1], troll2.Client} {
		u.Expect("<carol> back again")
	}
	talkers[1].Send("still muted?")
	talkers[1].Expect("<helperbot> You're muted in 'Den'.")
	alice.Send("/bans")
	alice.Expect("<helperbot> Banned from 'Den':", "<helperbot> 1. mallory (for good)")
	allQuiet(alice, troll2.Client, talkers[0], talkers[1])
}
