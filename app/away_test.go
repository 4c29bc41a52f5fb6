package app_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// PROTOCOL.md's /me, /away and /back, over telnet: who gets each line and
// who gets nothing.

const (
	lineAway      = "<system> You're now marked as away."
	lineBack      = "<system> You're no longer marked as away."
	lineNotAway   = "<system> You're not marked as away."
	lineNoAction  = "<system> Please specify an action."
	lineAwayUsers = "<helperbot> Current online users:"
)

// historyTimeRe matches the start of a /history line.
var historyTimeRe = regexp.MustCompile(`^<system> \[\d\d:\d\d\] `)

// An action is a message of the room (TestMessages has its lines): in its
// order and in /history.
func TestActionHistory(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")
	alice.Send("/me jumps   high")
	bob.Expect("* alice jumps   high")
	alice.Send("/me " + strings.Repeat("x", 450))
	bob.Expect("* alice " + strings.Repeat("x", 450))
	// An action is a message of the room: in its order and in /history.
	bob.Send("plain")
	alice.Expect("<bob> plain")
	alice.Send("/history 3")
	for i, want := range []string{"* alice jumps   high", "* alice " + strings.Repeat("x", 450), "<bob> plain"} {
		l := alice.Next()
		if !historyTimeRe.MatchString(l) || l[len("<system> [HH:MM] "):] != want {
			t.Errorf("/history line %d = %q, want \"<system> [HH:MM] %s\"", i+1, l, want)
		}
	}
	allQuiet(alice, bob, carol)
}

func TestAway(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")
	users := func(c *apptest.Client, want ...string) {
		t.Helper()
		c.Send("/users")
		c.Expect(lineAwayUsers)
		for i, w := range want {
			c.Expect("<helperbot> " + strconv.Itoa(i+1) + ". " + w)
		}
	}

	// Not away: /back says so, /users and whispers are as before.
	bob.Send("/back")
	bob.Expect(lineNotAway)
	alice.Send("/w bob hi")
	bob.Expect("<helperbot> alice whispered to you: hi")
	alice.Quiet()

	// Away without a reason.
	bob.Send("/away")
	bob.Expect(lineAway)
	users(alice, "alice", "bob (away)")
	alice.Send("/w BOB are you there")
	bob.Expect("<helperbot> alice whispered to you: are you there")
	alice.Expect("<helperbot> bob is away.")
	carol.Send("/w bob from afar") // from another room too
	bob.Expect("<helperbot> carol whispered to you: from afar")
	carol.Expect("<helperbot> bob is away.")
	allQuiet(alice, bob, carol)

	// Again, with a reason: it replaces the first.
	bob.Send("/AWAY   lunch,  back at 2 ")
	bob.Expect("<system> You're now marked as away: lunch,  back at 2")
	alice.Send("/w bob x")
	bob.Expect("<helperbot> alice whispered to you: x")
	alice.Expect("<helperbot> bob is away: lunch,  back at 2")

	// /back ends it with its line, once.
	bob.Send("/back")
	bob.Expect(lineBack)
	bob.Send("/back")
	bob.Expect(lineNotAway)
	users(alice, "alice", "bob")
	alice.Send("/w bob y")
	bob.Expect("<helperbot> alice whispered to you: y")
	allQuiet(alice, bob, carol)

	// A message, or an action, ends it without a line.
	for _, said := range []struct{ in, line string }{{"hi there", "<bob> hi there"}, {"/me nods", "* bob nods"}} {
		bob.Send("/away brb")
		bob.Expect("<system> You're now marked as away: brb")
		bob.Send(said.in)
		alice.Expect(said.line)
		bob.Quiet()
		users(alice, "alice", "bob")
	}

	// After " (admin)"; a reason is cut at 450 characters.
	enter(alice, "alice", "den")
	bob.Expect(leaveLine("alice"))
	alice.Send("/away " + strings.Repeat("r", 460))
	alice.Expect("<system> You're now marked as away: " + strings.Repeat("r", 450))
	users(alice, "alice (admin) (away)")
	bob.Send("/w alice z")
	alice.Expect("<helperbot> bob whispered to you: z")
	bob.Expect("<helperbot> alice is away: " + strings.Repeat("r", 450))
	allQuiet(alice, bob, carol)
}
