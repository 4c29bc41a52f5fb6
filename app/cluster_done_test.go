package app_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
	gossh "golang.org/x/crypto/ssh"
)

// doneEach is how many lines each of the three says in a round, all at
// once: a round's lines fit the screen's message pane (100x30) with the
// system lines a lost NATS server brings.
const doneEach = 4

// killBound is the bound on how long a killed node's users stay in
// the others' /users.
const killBound = 15 * time.Second

// saidRE matches a line said in TestClusterDoneMeans ("NAME says R.K"),
// wherever it shows: a telnet line, a history line, a screen's row, a JSON
// event's text.
var saidRE = regexp.MustCompile(`[a-z]+ says \d+\.\d+`)

// doneStory is the cluster of TestClusterDoneMeans and its users: anna
// over telnet on node a, bob on an SSH screen on node b, and botty, a bot
// on node c.
//
// The bot talks through the JSON lines door ("ssh NAME@host json",
// PROTOCOL.md, "JSON lines for bots"), as bots/jsonbot does: what a bot
// author outside the server really uses, in any language; not a
// chat.Plugin, which lives in the server's process.
type doneStory struct {
	t      *testing.T
	c      *clustertest.Cluster
	dirs   map[string]string // each node's data folder, to restart it on
	nodes  map[string]*apptest.Server
	bobKey gossh.Signer
	botKey gossh.Signer

	anna  *apptest.Client
	bob   *apptest.Screen
	botty *apptest.SSHJSON
}

// TestClusterDoneMeans is issue 14's "Done means" as one story, on three
// nodes of one 3-server NATS cluster: a telnet user on node a, an SSH
// screen on node b and a bot on node c chat in a room made on a; lines
// said at once by all three reach all three in one order (the screen's
// message pane, the telnet lines, the bot's events, the /history); the
// room's creator ops a user of another node and bans a user of a third,
// who is moved out and kept out on every node. The NATS server leading
// the lines' stream shut down mid-conversation loses and doubles nothing
// confirmed; a node killed (its NATS connection cut, its users'
// connections dropped) loses its users from the others' /users with one
// leave line each within 15 s, their names free; every node stopped and
// started again on its data has the room, its admins, its ban and its
// history.
func TestClusterDoneMeans(t *testing.T) {
	t.Parallel()
	s := &doneStory{t: t, c: clustertest.Start(t, 3), dirs: map[string]string{}, nodes: map[string]*apptest.Server{},
		bobKey: apptest.NewKey(t), botKey: apptest.NewKey(t)}
	for _, n := range []string{"a", "b", "c"} {
		s.dirs[n] = t.TempDir()
		s.start(n)
	}

	// One step after the other, each a helper: the users' clients fail
	// the test itself, so the steps are not subtests.
	s.meet()
	heard := s.round(1, nil) // the room's lines in the order every member saw them
	s.opAndBan()
	heard = append(heard, s.round(2, func() { s.c.Shutdown(s.linesLeader()) })...)
	s.kill("c")
	s.restart(heard)
}

// start starts node name on its data folder, flood control off (each
// user says several lines at once), with the default names' time to live:
// the bound the kill step checks is the product's, not a test's setting.
func (s *doneStory) start(name string) *apptest.Server {
	s.t.Helper()
	cfg := apptest.Config(s.t)
	cfg.DataDir = s.dirs[name]
	cfg.FloodRate = 0
	cfg.NATS = app.NATS{URLs: s.c.URLs(), Node: name}
	n := apptest.Start(s.t, cfg)
	s.nodes[name] = n
	return n
}

// meet logs the three in and into den, which anna creates on node a (its
// admin on every node); each sees the others come in.
func (s *doneStory) meet() {
	t := s.t
	s.anna = apptest.Login(t, s.nodes["a"].Telnet, "anna")
	s.anna.Send("/switch den")
	s.anna.Until(joinLine("anna"))

	s.bob = apptest.DialScreen(t, s.nodes["b"].SSH, "bob", s.bobKey, 100, 30)
	s.bob.WaitText("bob has joined the chat room!")
	s.bob.Type("/switch den\r")
	s.anna.Until(joinLine("bob"))

	s.botty = loginBot(t, s.nodes["c"].SSH, "botty", s.botKey)
	s.botty.Send("/switch den")
	untilJSON(t, s.botty, func(l apptest.JSONLine) bool {
		return l.Type == "join" && l.Room == "den" && l.From == "botty"
	})
	s.anna.Until(joinLine("botty"))
	s.bob.WaitText("botty has joined the chat room!")
	eventuallyUsers(t, s.anna, "<helperbot> 1. anna (admin)", "<helperbot> 2. bob", "<helperbot> 3. botty")
}

// round has the three say doneEach lines each at once (calling midway, if
// not nil, once each said half of theirs), checks that every member got
// every line once, in one order, and returns that order.
func (s *doneStory) round(n int, midway func()) []string {
	t := s.t
	line := func(who string, k int) string { return fmt.Sprintf("%s says %d.%d", who, n, k) }
	say := func(from, to int) {
		var wg sync.WaitGroup
		wg.Go(func() {
			for k := from; k < to; k++ {
				s.anna.Send(line("anna", k))
			}
		})
		wg.Go(func() {
			for k := from; k < to; k++ {
				s.bob.Type(line("bob", k) + "\r")
			}
		})
		wg.Go(func() {
			for k := from; k < to; k++ {
				s.botty.Send(line("botty", k))
			}
		})
		wg.Wait()
	}
	say(0, doneEach/2)
	if midway != nil {
		midway()
	}
	say(doneEach/2, doneEach)

	// A line door's sender does not get their own lines: anna and botty
	// each get the others' 2×doneEach.
	toAnna := telnetSaid(t, s.anna, 2*doneEach)
	toBot := botSaid(t, s.botty, 2*doneEach)
	order := s.history(s.anna, n) // anna's own lines in their place
	for _, who := range []string{"anna", "bob", "botty"} {
		if got := len(slices.DeleteFunc(slices.Clone(order), func(l string) bool { return !strings.HasPrefix(l, who+" ") })); got != doneEach {
			t.Fatalf("round %d: /history has %d lines of %s, want %d: %q", n, got, who, doneEach, order)
		}
	}
	if want := without(order, "anna"); !slices.Equal(toAnna, want) {
		t.Fatalf("round %d: anna's lines differ from the room's order less hers:\n%q\n%q", n, toAnna, want)
	}
	if want := without(order, "botty"); !slices.Equal(toBot, want) {
		t.Fatalf("round %d: botty's events differ from the room's order less its own:\n%q\n%q", n, toBot, want)
	}
	var onScreen []string
	s.bob.WaitFor(fmt.Sprintf("round %d in the room's order on bob's screen", n), func(text string) bool {
		onScreen = ofRound(saidRE.FindAllString(text, -1), n)
		return slices.Equal(onScreen, order)
	})
	more := saidRE.FindAllString(strings.Join(s.anna.Sync(), "\n"), -1) // nothing doubled
	for _, l := range s.botty.SyncJSON() {
		more = append(more, saidRE.FindAllString(l.Text, -1)...)
	}
	if len(more) > 0 {
		t.Fatalf("round %d: more lines after the round: %q", n, more)
	}
	return order
}

// without returns the lines of order not said by who.
func without(order []string, who string) []string {
	return slices.DeleteFunc(slices.Clone(order), func(l string) bool { return strings.HasPrefix(l, who+" says ") })
}

// ofRound returns the lines of round n among said.
func ofRound(said []string, n int) []string {
	return slices.DeleteFunc(slices.Clone(said), func(l string) bool { return !strings.Contains(l, fmt.Sprintf(" says %d.", n)) })
}

// history returns the lines of round n (all if n is 0) in u's /history.
func (s *doneStory) history(u *apptest.Client, n int) []string {
	s.t.Helper()
	u.Send("/history 200")
	var got []string
	for _, l := range u.Sync() {
		if m := saidRE.FindString(l); m != "" && strings.HasPrefix(l, "<system> [") {
			got = append(got, m)
		}
	}
	if n == 0 {
		return got
	}
	return ofRound(got, n)
}

// telnetSaid reads u's lines until n lines said (saidRE) came, and
// returns those; a line not delivered fails the test: every line of the
// story is to be confirmed.
func telnetSaid(t *testing.T, u *apptest.Client, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		l := u.Next()
		if l == "<system> "+chat.TextNotDelivered {
			t.Fatalf("a line of the telnet user was not delivered")
		}
		if m := saidRE.FindString(l); m != "" {
			got = append(got, m)
		}
	}
	return got
}

// botSaid reads the bot's events until n messages said (saidRE) came,
// and returns their texts, as telnetSaid.
func botSaid(t *testing.T, b *apptest.SSHJSON, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		l := b.NextJSON()
		if l.Type == "system" && l.Text == chat.TextNotDelivered {
			t.Fatalf("a line of the bot was not delivered")
		}
		if l.Type == "message" && saidRE.MatchString(l.Text) {
			got = append(got, l.Text)
		}
	}
	return got
}

// loginBot logs a bot in as name through the JSON lines door at addr,
// with key, and reads up to its own join line.
func loginBot(t *testing.T, addr, name string, key gossh.Signer) *apptest.SSHJSON {
	t.Helper()
	b := apptest.DialSSHJSON(t, addr, name, key)
	untilJSON(t, b, func(l apptest.JSONLine) bool { return l.Type == "join" && l.From == name })
	return b
}

// untilJSON reads b's events until one satisfies ok and returns it,
// failing the test after apptest.Wait without an event.
func untilJSON(t *testing.T, b *apptest.SSHJSON, ok func(apptest.JSONLine) bool) apptest.JSONLine {
	t.Helper()
	for {
		if l := b.NextJSON(); ok(l) {
			return l
		}
	}
}

// botUsers asks /users as the bot and returns its items.
func botUsers(t *testing.T, b *apptest.SSHJSON) []apptest.JSONItem {
	t.Helper()
	b.Send("/users")
	return untilJSON(t, b, func(l apptest.JSONLine) bool { return l.Type == "users" }).Items
}

// opAndBan: anna (node a) makes bob (node b) an admin of den, which every
// node shows; she bans troll, in den from node c: troll is moved to chat
// and cannot come back into den through node c, nor through a or b.
func (s *doneStory) opAndBan() {
	t := s.t
	asks(s.anna, "/op bob", "<helperbot> bob is now an admin of 'den'.")
	pollFor(t, s.anna, "/users", "bob (admin) on node a", listed("bob (admin)"))
	s.bob.WaitText("@bob") // the screen's user list marks admins
	apptest.Eventually(t, "bob an admin in the bot's /users on node c", func() bool {
		return slices.Contains(botUsers(t, s.botty), apptest.JSONItem{Name: "bob", Admin: true})
	})

	troll := apptest.Login(t, s.nodes["c"].Telnet, "troll")
	troll.Send("/switch den")
	troll.Until(joinLine("troll"))
	s.anna.Until(joinLine("troll"))
	s.anna.Send("/ban troll")
	troll.Until("<helperbot> You've been banned from the 'den' room. You've been returned to 'chat'.")
	s.anna.Until("<helperbot> troll is banned from 'den'.")
	s.bob.WaitText("troll has left the chat room!")
	untilJSON(t, s.botty, func(l apptest.JSONLine) bool { return l.Type == "leave" && l.From == "troll" })
	troll.Send("/room")
	if l := nextLine(troll); l != roomLine("chat") {
		t.Fatalf("troll's /room after the ban = %q, want %q", l, roomLine("chat"))
	}
	troll.Send("/switch den")
	troll.Expect(lineBannedIn)
	troll.Send("/leave")
	troll.Closed()
	for _, n := range []string{"a", "b"} {
		u := telnetWhenFree(t, s.nodes[n].Telnet, "troll")
		u.Send("/switch den")
		u.Until(lineBannedIn) // past the join lines of chat
		u.Send("/leave")
		u.Closed()
	}
	s.anna.Sync() // troll's comings and goings in chat are not den's; nothing else is pending
	s.botty.SyncJSON()
}

// telnetWhenFree logs name in over telnet at addr once the node that
// held it let go of it (after its connection closed), as apptest.Login.
func telnetWhenFree(t *testing.T, addr, name string) *apptest.Client {
	t.Helper()
	taken := "<system> " + chat.RefusalText(chat.ErrNameTaken)
	u := apptest.Dial(t, addr)
	u.Welcome()
	deadline := time.Now().Add(apptest.Wait)
	for {
		u.Send(name)
		switch l := u.Next(); {
		case l == "<system> Logging in as "+name:
			u.Until(joinLine(name))
			return u
		case l != taken || time.Now().After(deadline):
			t.Fatalf("login of %s once free = %q", name, l)
		}
		time.Sleep(100 * time.Millisecond) // the other node lets go after the connection closes
	}
}

// linesLeader returns the index of the NATS server that leads the stream
// of the rooms' lines: shutting it down makes the cluster elect another
// leader while lines are being said, the hardest server to lose.
func (s *doneStory) linesLeader() int {
	t := s.t
	js, err := jetstream.New(s.c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	st, err := js.Stream(t.Context(), cluster.LinesStream)
	if err != nil {
		t.Fatalf("stream %s: %v", cluster.LinesStream, err)
	}
	info, err := st.Info(t.Context())
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream %s's info: %v", cluster.LinesStream, err)
	}
	for i := range 3 {
		if s.c.Server(i).Name() == info.Cluster.Leader {
			t.Logf("shutting down %s, the leader of %s", info.Cluster.Leader, cluster.LinesStream)
			return i
		}
	}
	t.Fatalf("stream %s's leader %q is none of the cluster's servers", cluster.LinesStream, info.Cluster.Leader)
	return -1
}

// kill kills node name as kill -9 would: its NATS connection is cut
// without letting go of anything and its users' connections drop. Its
// user botty leaves anna's and bob's den with one leave line within
// killBound and is gone from /users; the name is free: botty logs in
// again, on node a.
func (s *doneStory) kill(name string) {
	t := s.t
	killed := time.Now()
	s.nodes[name].App.CutNATS()
	s.botty.SSH.Close()
	s.anna.Until(leaveLine("botty"))
	if d := time.Since(killed); d > killBound {
		t.Errorf("botty's leave line came %v after node %s was killed, want within %v", d, name, killBound)
	} else {
		t.Logf("botty's leave line came %v after node %s was killed", d.Round(time.Millisecond), name)
	}
	s.bob.WaitText("botty has left the chat room!")
	apptest.Eventually(t, "botty out of anna's /users, with no second leave line", func() bool {
		s.anna.Send("/users")
		lines := s.anna.Sync()
		if slices.Contains(lines, leaveLine("botty")) {
			t.Fatalf("a second leave line of botty: %q", lines)
		}
		return slices.Equal(lines, []string{"<helperbot> Current online users:", "<helperbot> 1. anna (admin)", "<helperbot> 2. bob (admin)"})
	})
	s.botty = loginBot(t, s.nodes["a"].SSH, "botty", s.botKey)
}

// restart stops every node (as SIGTERM does) and starts each again on its
// data folder: den is in /rooms, anna and bob are its admins, troll is
// still banned, and the room's history is heard, in its order, on every
// node: anna's /history, the bot's history events, bob's screen.
func (s *doneStory) restart(heard []string) {
	t := s.t
	before := s.history(s.anna, 0)
	if !slices.Equal(before, heard) {
		t.Fatalf("anna's /history before the restart = %q, want every round's lines %q", before, heard)
	}
	for _, n := range []string{"a", "b", "c"} {
		s.nodes[n].Stop(t)
	}
	for _, n := range []string{"a", "b", "c"} {
		s.start(n)
	}

	anna := apptest.Login(t, s.nodes["a"].Telnet, "anna")
	anna.Send("/rooms")
	if lines := anna.Sync(); !slices.ContainsFunc(lines, listed("den")) {
		t.Fatalf("/rooms after the restart = %q, want den in it", lines)
	}
	anna.Send("/switch den")
	anna.Until(joinLine("anna"))
	if got := s.history(anna, 0); !slices.Equal(got, heard) {
		t.Fatalf("anna's /history after the restart = %q, want %q", got, heard)
	}

	troll := apptest.Login(t, s.nodes["c"].Telnet, "troll")
	troll.Send("/switch den")
	troll.Expect(lineBannedIn)

	bot := loginBot(t, s.nodes["c"].SSH, "botty", s.botKey)
	bot.Send("/switch den")
	untilJSON(t, bot, func(l apptest.JSONLine) bool { return l.Type == "join" && l.Room == "den" && l.From == "botty" })
	bot.Send("/history 200")
	var got []string
	for len(got) < len(heard) {
		if l := bot.NextJSON(); l.History && saidRE.MatchString(l.Text) {
			got = append(got, l.Text)
		}
	}
	if !slices.Equal(got, heard) {
		t.Fatalf("the bot's /history after the restart = %q, want %q", got, heard)
	}

	bob := apptest.DialScreen(t, s.nodes["b"].SSH, "bob", s.bobKey, 100, 30)
	bob.WaitText("bob has joined the chat room!")
	bob.Type("/switch den\r")
	last := heard[len(heard)-2*doneEach:] // what the pane has room for
	bob.WaitFor("den's last lines on bob's screen, in order", func(text string) bool {
		return slices.Equal(lastN(saidRE.FindAllString(text, -1), len(last)), last)
	})
	apptest.Eventually(t, "anna and bob admins of den on node c", func() bool {
		items := botUsers(t, bot)
		return slices.Contains(items, apptest.JSONItem{Name: "anna", Admin: true}) &&
			slices.Contains(items, apptest.JSONItem{Name: "bob", Admin: true})
	})
}

// lastN returns the last n of l (all of l if it has fewer).
func lastN(l []string, n int) []string { return l[max(0, len(l)-n):] }
