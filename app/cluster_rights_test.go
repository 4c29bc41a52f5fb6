package app_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// Slice 5a: a room's rights, bans and mutes are shared by every node
// through the rooms bucket. Each test asserts what a user sees on their
// own node; a change made on another node reaches it through the
// cluster's watcher, so checks of it poll (pollFor) with a deadline. Lines
// of the room from other nodes (slice 4) may come in between: the checks
// look for their line among those that came.

// pollFor sends in as c, with a sentinel after it (Sync), until a line
// before the sentinel satisfies ok, for at most apptest.Wait.
func pollFor(t *testing.T, c *apptest.Client, in, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(apptest.Wait)
	pause := 50 * time.Millisecond
	for {
		c.Send(in)
		got := c.Sync()
		if slices.ContainsFunc(got, ok) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q, want %s", in, got, what)
		}
		// The watcher's delivery is on its way. Two lines a try, slower and
		// slower: well under the flood limit (chat.DefaultFloodRate).
		time.Sleep(pause)
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// asks sends in as c and reads until the line want.
func asks(c *apptest.Client, in, want string) {
	c.Send(in)
	c.Until(want)
}

// is matches the line want.
func is(want string) func(string) bool { return func(l string) bool { return l == want } }

// listed matches the line of name in a numbered list (/users, /rooms,
// /bans), "<helperbot> N. " + name + rest.
func listed(nameRest string) func(string) bool {
	return func(l string) bool {
		num, rest, ok := strings.Cut(strings.TrimPrefix(l, "<helperbot> "), ". ")
		_, err := strconv.Atoi(num)
		return ok && err == nil && rest == nameRest
	}
}

// denOnTwoNodes starts two nodes on a new cluster c: anna, on the first,
// creates den (its admin); bob, on the second (b), enters it.
func denOnTwoNodes(t *testing.T) (c *clustertest.Cluster, b *apptest.Server, anna, bob *apptest.Client) {
	t.Helper()
	c = clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	b = nodes[1]
	anna = apptest.Login(t, nodes[0].Telnet, "anna")
	anna.Send("/switch den")
	anna.Expect(switchedLine("den"), joinLine("anna"))
	bob = apptest.Login(t, b.Telnet, "bob")
	bob.Send("/switch den") // entered as it is, or created: anna's then
	bob.Expect(switchedLine("den"))
	bob.Until(joinLine("bob"))
	return c, b, anna, bob
}

// TestClusterRights: /op, /deop, /topic, /lock and /invite made on one
// node hold on the other: an admin made on A sets the topic and kicks on
// B, shows as "(admin)" in B's /users; a topic set on A greets a user
// entering on B, and its clearing holds there; a room locked on A refuses
// a user of B not invited, until A invites them. Two admins on two nodes
// /op two names at once: both are admins.
func TestClusterRights(t *testing.T) {
	t.Parallel()
	_, b, anna, bob := denOnTwoNodes(t)
	asks(bob, "/topic Plans", "<helperbot> You must be an admin to set the topic.")

	asks(anna, "/op bob", "<helperbot> bob is now an admin of 'den'.")
	pollFor(t, bob, "/users", "bob (admin)", listed("bob (admin)"))
	asks(bob, "/topic Plans", "<helperbot> bob set the topic of 'den' to: Plans")
	pollFor(t, anna, "/topic", "the topic bob set", is("<helperbot> The topic of 'den' is: Plans"))

	cara := apptest.Login(t, b.Telnet, "cara")
	cara.Send("/switch den")
	cara.Expect(switchedLine("den"), "<system> Topic: Plans")
	cara.Until(joinLine("cara"))
	asks(bob, "/kick cara", "<helperbot> cara was kicked from 'den'.")
	cara.Until("<helperbot> You've been kicked from the 'den' room. You've been returned to 'chat'.")

	// Two admins on two nodes at once: both changes are recorded.
	anna.Send("/op xan")
	bob.Send("/op yul")
	anna.Until("<helperbot> xan is now an admin of 'den'.")
	bob.Until("<helperbot> yul is now an admin of 'den'.")
	for _, name := range []string{"xan", "yul"} {
		u := apptest.Login(t, b.Telnet, name)
		u.Send("/switch den")
		u.Expect(switchedLine("den"), "<system> Topic: Plans")
		u.Until(joinLine(name))
		pollFor(t, u, "/users", name+" (admin)", listed(name+" (admin)"))
	}

	asks(anna, "/deop bob", "<helperbot> bob is no longer an admin of 'den'.")
	pollFor(t, bob, "/users", "bob, not an admin", listed("bob"))
	asks(bob, "/topic Other", "<helperbot> You must be an admin to set the topic.")

	asks(anna, "/topic -", "<helperbot> anna cleared the topic of 'den'.")
	pollFor(t, bob, "/topic", "no topic", is("<helperbot> 'den' has no topic."))
	cara.Send("/switch den") // in chat, she heard xan and yul come and go
	cara.Until(switchedLine("den"))
	// No topic line; anna's clearing line, which the stream may bring
	// after the rights' watcher cleared it, may come before the join.
	if before := cara.Until(joinLine("cara")); slices.ContainsFunc(before, func(l string) bool { return strings.HasPrefix(l, "<system> Topic:") }) {
		t.Fatalf("cara entering den after the topic was cleared got %q, want no topic line", before)
	}

	asks(anna, "/lock", "<helperbot> 'den' is now invite-only.")
	dan := apptest.Login(t, b.Telnet, "dan")
	pollFor(t, dan, "/rooms", "den invite-only", listed("den (invite-only)"))
	dan.Send("/switch den")
	dan.Expect("<helperbot> 'den' is invite-only.")
	asks(anna, "/invite dan", "<helperbot> dan may now join 'den'.")
	pollFor(t, dan, "/switch den", "dan let in", is(switchedLine("den")))
}

// TestClusterBans: a ban made on A keeps the user out on B, online or
// not; /bans lists it on both; /unban on B lifts it on A too; a timed ban
// ends on time on both; a mute made on A silences the user on B until
// /unmute there. A room's cap of admins counts the cluster's record.
func TestClusterBans(t *testing.T) {
	t.Parallel()
	c, b, anna, bob := denOnTwoNodes(t)
	asks(anna, "/op bob", "<helperbot> bob is now an admin of 'den'.")
	pollFor(t, bob, "/users", "bob (admin)", listed("bob (admin)"))

	asks(anna, "/ban eve", "<helperbot> eve is banned from 'den'.")
	pollFor(t, bob, "/bans", "eve banned", listed("eve (for good)"))
	eve := apptest.Login(t, b.Telnet, "eve")
	eve.Send("/switch den")
	eve.Expect(lineBannedIn)
	asks(bob, "/unban eve", "<helperbot> eve is no longer banned from 'den'.")
	pollFor(t, anna, "/bans", "nobody banned", is("<helperbot> Nobody is banned from 'den'."))
	eve.Send("/switch den")
	eve.Expect(switchedLine("den"))
	eve.Until(joinLine("eve"))

	asks(anna, "/mute eve", "<helperbot> eve is muted in 'den'.")
	pollFor(t, eve, "hello", "the muted line", is("<helperbot> You're muted in 'den'."))
	asks(bob, "/unmute eve", "<helperbot> eve is no longer muted in 'den'.")
	eve.Send("hi")
	bob.Until("<eve> hi")

	// A timed ban, as any node writes it, ends on time on every node.
	rooms := openRooms(t, c)
	until := time.Now().Add(3 * time.Second)
	if _, err := rooms.SaveBan(t.Context(), chat.BanRecord{Room: "den", Name: "fred", By: "helperbot", Time: time.Now(), Until: until}); err != nil {
		t.Fatalf("SaveBan: %v", err)
	}
	pollFor(t, bob, "/bans", "fred banned", func(l string) bool { return strings.Contains(l, ". fred (until ") })
	pollFor(t, anna, "/bans", "fred banned", func(l string) bool { return strings.Contains(l, ". fred (until ") })
	fred := apptest.Login(t, b.Telnet, "fred")
	fred.Send("/switch den")
	fred.Expect(lineBannedIn)
	pollFor(t, fred, "/switch den", "fred let in", is(switchedLine("den")))
	if now := time.Now(); now.Before(until) {
		t.Errorf("fred let in %v before his ban ended", until.Sub(now))
	}
	pollFor(t, anna, "/bans", "nobody banned", is("<helperbot> Nobody is banned from 'den'."))

	// Full of admins on the cluster's record: refused on either node.
	if _, err := rooms.UpdateRights(t.Context(), "den", func(r *chat.SharedRights) error {
		for i := len(r.Admins); i < chat.MaxRoomRecords; i++ {
			r.Admins = append(r.Admins, chat.AdminRecord{Room: "den", Name: "op" + strconv.Itoa(i)})
		}
		return nil
	}); err != nil {
		t.Fatalf("UpdateRights: %v", err)
	}
	pollFor(t, bob, "/op zed", "too many admins", is("<helperbot> 'den' has too many admins already."))
	asks(anna, "/op zed", "<helperbot> 'den' has too many admins already.")
}

// TestClusterRightsRestart: every node stopped, new nodes (fresh data
// folders) have every room's rights, bans and mutes from the cluster's
// record before their doors open: no waiting.
func TestClusterRightsRestart(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	first := startNode(t, c, "a", 2*time.Second)
	anna := apptest.Login(t, first.Telnet, "anna")
	anna.Send("/switch den")
	anna.Expect(switchedLine("den"), joinLine("anna"))
	for _, cmd := range []struct{ in, out string }{
		{"/topic Plans", "<helperbot> anna set the topic of 'den' to: Plans"},
		{"/op bob", "<helperbot> bob is now an admin of 'den'."},
		{"/ban eve", "<helperbot> eve is banned from 'den'."},
		{"/mute cara", "<helperbot> cara is muted in 'den'."},
		{"/lock", "<helperbot> 'den' is now invite-only."},
		{"/invite cara", "<helperbot> cara may now join 'den'."},
	} {
		asks(anna, cmd.in, cmd.out)
	}
	anna.Send("/leave")
	anna.Closed()
	first.Stop(t)

	b := startNode(t, c, "b", 2*time.Second)
	eve := apptest.Login(t, b.Telnet, "eve")
	eve.Send("/switch den")
	eve.Expect(lineBannedIn)
	dan := apptest.Login(t, b.Telnet, "dan")
	dan.Send("/switch den")
	dan.Expect("<helperbot> 'den' is invite-only.")
	bob := apptest.Login(t, b.Telnet, "bob")
	bob.Send("/switch den")
	bob.Expect(switchedLine("den"), "<system> Topic: Plans", joinLine("bob"))
	cara := apptest.Login(t, b.Telnet, "cara")
	cara.Send("/switch den")
	cara.Expect(switchedLine("den"), "<system> Topic: Plans", joinLine("cara"))
	bob.Expect(joinLine("cara"))
	cara.Send("hello")
	cara.Expect("<helperbot> You're muted in 'den'.")
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. bob (admin)", "<helperbot> 2. cara")
}

// openRooms opens the rooms bucket of c as a node would.
func openRooms(t *testing.T, c *clustertest.Cluster) *cluster.Rooms {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	rooms, err := cluster.OpenRooms(t.Context(), js, cluster.RoomsConfig{})
	if err != nil {
		t.Fatalf("OpenRooms: %v", err)
	}
	return rooms
}
