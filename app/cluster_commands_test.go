package app_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	gossh "golang.org/x/crypto/ssh"
)

// Lines of helperbot and the engine the cluster commands' tests expect.
const (
	lineCmdNotFound = "<helperbot> Could not find someone with that username."
	lineKicked      = "<helperbot> You've been kicked from the 'lounge' room. You've been returned to 'chat'."
	lineBanned      = "<helperbot> You've been banned from the 'lounge' room. You've been returned to 'chat'."
)

// joinLounge switches u (called name) to lounge, a room made on another
// node, and reads the switch's lines up to their own join line.
func joinLounge(t *testing.T, u *apptest.Client, name string) {
	t.Helper()
	u.Send("/switch lounge")
	u.Until(switchedLine("lounge"))
	u.Until("<helperbot> " + name + " has joined the chat room!")
}

// TestClusterWhisper: a whisper to a user on another node reaches them
// once, with the protocol's line; its sender gets what they get for a
// user of their own node: nothing, the away line, nothing when ignored,
// the not-found line for nobody; /whois answers alike.
func TestClusterWhisper(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	anna, bob := apptest.Login(t, nodes[0].Telnet, "anna"), apptest.Login(t, nodes[1].Telnet, "bob")
	anna.Until(joinLine("bob")) // from the other node

	anna.Send("/w BOB hi there")
	bob.Expect("<helperbot> anna whispered to you: hi there")
	anna.Quiet()
	bob.Quiet()

	bob.Send("/away lunch")
	bob.Expect("<system> You're now marked as away: lunch")
	anna.Send("/w bob are you there")
	bob.Expect("<helperbot> anna whispered to you: are you there")
	anna.Expect("<helperbot> bob is away: lunch")

	anna.Send("/whois bob")
	l := anna.Next()
	if !strings.HasPrefix(l, "<system> bob: in 'chat' via telnet, online for ") {
		t.Fatalf("/whois of a user on another node = %q", l)
	}
	anna.Expect("<system> bob: away: lunch")
	anna.Send("/whois nobody")
	anna.Expect("<system> Could not find someone with that username.")

	bob.Send("/ignore anna")
	bob.Sync()
	anna.Send("/w bob psst")
	anna.Expect("<helperbot> bob is away: lunch") // as for a local target: the ignore is not told
	anna.Send("/w nobody hello")
	anna.Expect(lineCmdNotFound)
	anna.Quiet()
	bob.Quiet()
}

// TestClusterKickBan: an admin on node A kicks, then bans, a user of
// their room who is on node B: the user is moved to chat by their node
// with the protocol's lines, the room's members on B see them leave, and
// the admin gets their confirmation; a user not in the room is not found.
func TestClusterKickBan(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	anna := apptest.Login(t, nodes[0].Telnet, "anna")
	bob, carl := apptest.Login(t, nodes[1].Telnet, "bob"), apptest.Login(t, nodes[1].Telnet, "carl")
	anna.Until(joinLine("carl")) // from the other node, after bob's
	anna.Send("/switch lounge")
	anna.Until("<helperbot> anna has joined the chat room!")
	anna.Send("/kick bob") // in chat, not in lounge
	anna.Expect(lineCmdNotFound)
	joinLounge(t, carl, "carl")
	joinLounge(t, bob, "bob")
	carl.Sync()
	anna.Until(joinLine("bob")) // carl's first

	anna.Send("/kick bob")
	bob.Until(lineKicked)
	carl.Expect(leaveLine("bob"))
	anna.Until("<helperbot> bob was kicked from 'lounge'.") // bob's leave line may come first, through the stream
	bob.Sync()

	joinLounge(t, bob, "bob")
	carl.Sync()
	anna.Until(joinLine("bob"))
	anna.Send("/ban bob")
	bob.Until(lineBanned)
	carl.Expect(leaveLine("bob"))
	anna.Until("<helperbot> bob is banned from 'lounge'.")
	bob.Send("/room")
	if l := nextLine(bob); l != roomLine("chat") {
		t.Fatalf("/room after the ban = %q, want %q", l, roomLine("chat"))
	}
}

// TestClusterGban: an operator on node A bans a user online on node B
// from the server: their node tells them and disconnects them.
func TestClusterGban(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	opKey := apptest.NewKey(t)
	cfg := apptest.Config(t)
	cfg.NATS = app.NATS{URLs: c.URLs(), Node: "a", NameTTL: 2 * time.Second}
	cfg.OpsFile = apptest.OpsFile(t, opKey)
	a := apptest.Start(t, cfg)
	b := startNode(t, c, "b", 2*time.Second)
	op := apptest.LoginSSH(t, a.SSH, "oscar", opKey)
	troll := apptest.Login(t, b.Telnet, "troll")

	op.Send("/gban troll")
	troll.Until("<system> " + chat.TextServerBanned)
	troll.Closed()
	op.Until("<helperbot> troll is banned from this server.") // past troll's join line, from the other node
}

// TestClusterWhoisSSH: /whois of an SSH user on another node shows their
// door and key, as for a user of the asker's node.
func TestClusterWhoisSSH(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	key := apptest.NewKey(t)
	apptest.LoginSSH(t, nodes[1].SSH, "dora", key)
	anna := apptest.Login(t, nodes[0].Telnet, "anna")
	anna.Send("/whois dora")
	if l := anna.Next(); !strings.HasPrefix(l, "<system> dora: in 'chat' via ssh, online for ") {
		t.Fatalf("/whois of an SSH user on another node = %q", l)
	}
	anna.Expect("<system> dora: key " + gossh.FingerprintSHA256(key.PublicKey()))
}

// TestClusterGhost: a login that proves a name (its owning SSH key) held
// on another node replaces that older session: the old node tells its
// user and closes it, and the new login holds the name; a login that
// proves nothing is refused with the taken line.
func TestClusterGhost(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	key := apptest.NewKey(t)
	// The key owns the name on both nodes (bindings are each node's own
	// until they are shared).
	first := apptest.LoginSSH(t, nodes[1].SSH, "dora", key)
	first.Send("/leave")
	first.Closed()
	old := loginWhenFree(t, nodes[0].SSH, "dora", key)

	apptest.Login(t, nodes[0].Telnet, "ezra") // a name no key owns
	unproven := apptest.Dial(t, nodes[1].Telnet)
	unproven.Welcome()
	unproven.Send("ezra")
	unproven.Expect("<system> " + chat.RefusalText(chat.ErrNameTaken))

	apptest.LoginSSH(t, nodes[1].SSH, "dora", key)
	old.Until("<system> " + chat.TextReplaced) // after ezra's join line
	old.Closed()
}

// loginWhenFree logs name in over SSH with key once the node that held it
// let go of it (after its connection closed).
func loginWhenFree(t *testing.T, addr, name string, key gossh.Signer) *apptest.SSHLines {
	t.Helper()
	taken := "<system> " + chat.RefusalText(chat.ErrNameTaken)
	deadline := time.Now().Add(apptest.Wait)
	for {
		c := apptest.DialSSHLines(t, addr, name, key)
		c.Expect("<system> Welcome to the chat room!")
		switch l := c.Next(); {
		case l == "<system> Logging in as "+name:
			c.Expect("<helperbot> " + name + " has joined the chat room!")
			return c
		case l != taken || time.Now().After(deadline):
			t.Fatalf("login of %s once free = %q", name, l)
		}
		time.Sleep(100 * time.Millisecond) // the other node lets go after the connection closes
	}
}

// TestClusterCommandsNodeGone: a command on a name held by a node that is
// gone (no responders) or that does not answer is told the name is not
// online, within the request's bound, and nothing hangs.
func TestClusterCommandsNodeGone(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 1, 2*time.Second)
	anna := apptest.Login(t, nodes[0].Telnet, "anna")

	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatalf("names bucket: %v", err)
	}
	for name, node := range map[string]string{"zed": "gone", "quinn": "silent"} {
		if _, err := kv.Put(t.Context(), cluster.Key(chat.Fold(name)), []byte(node+" x")); err != nil {
			t.Fatalf("hold %s for %s: %v", name, node, err)
		}
	}
	sub, err := nc.SubscribeSync(cluster.CommandSubject("silent")) // takes requests, answers none
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Unsubscribe()
	for i := range 3 { // its interest reached every server: a request there waits, never "no responders"
		other, err := nats.Connect(c.Server(i).ClientURL())
		if err != nil {
			t.Fatalf("connect to server %d: %v", i, err)
		}
		apptest.Eventually(t, "the silent node's subscription on every server", func() bool {
			_, err := other.Request(cluster.CommandSubject("silent"), nil, 100*time.Millisecond)
			return errors.Is(err, nats.ErrTimeout)
		})
		other.Close()
	}

	for _, name := range []string{"zed", "quinn"} {
		start := time.Now()
		anna.Send("/w " + name + " hello")
		anna.Expect(lineCmdNotFound)
		anna.Send("/whois " + name)
		anna.Expect("<system> Could not find someone with that username.")
		if d := time.Since(start); d > 3*remoteWait {
			t.Errorf("/w and /whois of %s took %v, want each bounded by about %v", name, d, remoteWait)
		}
	}
	anna.Quiet()
}

// remoteWait is how long a node waits for another's answer (chat's
// remoteTimeout).
const remoteWait = 2 * time.Second

// TestClusterWhisperScreen: an SSH screen on node A whispers to a telnet
// user on node B: the screen shows the whisper it sent (its
// KindWhisperSent), the user gets the line; the user's answer shows on
// the screen as a whisper received.
func TestClusterWhisperScreen(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	bob := apptest.Login(t, nodes[1].Telnet, "bob")
	scr := apptest.DialScreen(t, nodes[0].SSH, "anna", apptest.NewKey(t), 80, 24)
	scr.WaitText("anna has joined the chat room!")

	scr.Type("/w bob over there\r")
	bob.Until("<helperbot> anna whispered to you: over there") // past anna's join line
	scr.WaitText("you whispered to bob: over there")
	bob.Send("/w anna back to you")
	scr.WaitText("bob whispered to you: back to you")
	bob.Quiet()
}
