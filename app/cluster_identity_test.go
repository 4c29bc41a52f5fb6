package app_test

import (
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

// startNodeWith starts the chatserver node called name on c, with cfg's
// settings but the NATS ones.
func startNodeWith(t *testing.T, c *clustertest.Cluster, name string, cfg app.Config) *apptest.Server {
	t.Helper()
	cfg.NATS = app.NATS{URLs: c.URLs(), Node: name, NameTTL: 2 * time.Second}
	return apptest.Start(t, cfg)
}

// TestClusterBindings: a name bound to an SSH key by a login on node A is
// refused to another key on node B with the owned line, and its key gets
// in on B; a node started later knows it from its first login.
func TestClusterBindings(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	key, other := apptest.NewKey(t), apptest.NewKey(t)

	mike := apptest.LoginSSH(t, nodes[0].SSH, "mike", key) // binds mike to key
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")
	apptest.Eventually(t, "mike's binding on node b", func() bool {
		id, _ := nodes[1].App.Hub().Protection("mike")
		return id == fingerprint(key)
	})
	owned := "<system> " + chat.RefusalText(chat.ErrNameOwned)
	apptest.DialSSHLines(t, nodes[1].SSH, "mike", other).ExpectClosed("<system> Welcome to the chat room!", owned)
	mike = apptest.LoginSSH(t, nodes[1].SSH, "mike", key)
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")

	late := startNode(t, c, "c", 2*time.Second)
	apptest.DialSSHLines(t, late.SSH, "MIKE", other).ExpectClosed("<system> Welcome to the chat room!", owned)

	// Released by hand in the bucket (names release is per node): every node forgets it.
	deleteName(t, c, cluster.Key(chat.Fold("mike")))
	apptest.Eventually(t, "mike's binding gone on node c", func() bool {
		id, _ := late.App.Hub().Protection("mike")
		return id == ""
	})
	apptest.LoginSSH(t, late.SSH, "mike", other)
}

// deleteName deletes the key k of the names bucket of c.
func deleteName(t *testing.T, c *clustertest.Cluster, k string) {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NameBindingsBucket)
	if err != nil {
		t.Fatalf("names bucket: %v", err)
	}
	if err := kv.Delete(t.Context(), k); err != nil {
		t.Fatalf("delete %s: %v", k, err)
	}
}

// TestClusterPassword: a name protected by /password on node A asks for
// its password on node B over telnet (a wrong one refused, the right one
// let in) and over SSH by keyboard-interactive; so does a node started
// later.
func TestClusterPassword(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	protectOverTelnet(t, nodes[0], "anna", "hunter2hunter2")
	apptest.Eventually(t, "anna's password on node b", func() bool {
		_, pw := nodes[1].App.Hub().Protection("anna")
		return pw
	})

	u := apptest.Dial(t, nodes[1].Telnet)
	u.Welcome()
	askedFor(u, "anna")
	wrongPassword(u, false)
	u.Send("anna")
	u.Expect("<system> " + chat.TextPasswordPrompt)
	u.Send("hunter2hunter2")
	u.Expect(echoOff+echoOn+"<system> Logging in as anna", joinLine("anna"))
	u.Send("/leave")
	u.Until("<system> Leaving chat room.")
	u.Closed()

	asked := 0
	cl, err := apptest.DialSSHAuth(t, nodes[1].SSH, "anna", gossh.PublicKeys(apptest.NewKey(t)), answer(t, "anna", "hunter2hunter2", &asked))
	if err != nil {
		t.Fatalf("ssh login of anna by her password on node b: %v", err)
	}
	cl.Close()
	if asked != 1 {
		t.Errorf("asked for the password %d times over SSH on node b, want 1", asked)
	}

	late := startNode(t, c, "c", 2*time.Second)
	u = apptest.Dial(t, late.Telnet)
	u.Welcome()
	askedFor(u, "anna")

	deleteName(t, c, cluster.PasswordKey(chat.Fold("anna")))
	apptest.Eventually(t, "anna's password gone on node b", func() bool {
		_, pw := nodes[1].App.Hub().Protection("anna")
		return !pw
	})
}

// TestClusterServerBans: a /gban on node A refuses the troll's name, key
// and address at login on node B, over both doors (the address right
// after accept on telnet), and on a node started later; /gunban on A lets
// them in on B again.
func TestClusterServerBans(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	opKey, trollKey := apptest.NewKey(t), apptest.NewKey(t)
	cfg := opsConfig(t, opKey)
	a := startNodeWith(t, c, "a", cfg)
	b := startNode(t, c, "b", 2*time.Second)

	op := apptest.LoginSSH(t, a.SSH, "op", opKey)
	troll := apptest.DialSSHLinesFrom(t, a.SSH, "127.0.0.2", "troll", trollKey)
	troll.Expect("<system> Welcome to the chat room!", "<system> Logging in as troll", joinLine("troll"))
	op.Until(joinLine("troll"))
	op.Send("/gban troll")
	troll.ExpectClosed(lineServerBanned)
	apptest.Eventually(t, "troll's ban on node b", func() bool { return b.App.Hub().ServerBanned("troll", "", "") })

	refusedTelnet(t, b.Telnet, "TROLL")
	refusedSSH(t, b.SSH, "127.0.0.1", "nobody", trollKey)
	apptest.DialFrom(t, b.Telnet, "127.0.0.2").ExpectClosed(lineServerBanned)

	late := startNode(t, c, "c", 2*time.Second)
	refusedTelnet(t, late.Telnet, "troll")

	op.Send("/gunban troll")
	apptest.Eventually(t, "troll's ban lifted on node b", func() bool { return !b.App.Hub().ServerBanned("troll", "", "") })
	troll = apptest.DialSSHLinesFrom(t, b.SSH, "127.0.0.2", "troll", trollKey)
	troll.Expect("<system> Welcome to the chat room!", "<system> Logging in as troll", joinLine("troll"))
}

// TestClusterOffline: what is said for mike, protected by his key and
// offline, on node A (a whisper, a mention) is told at his next login on
// node B, once: his next login, on A, gets nothing.
func TestClusterOffline(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	key := apptest.NewKey(t)
	mike := apptest.LoginSSH(t, nodes[0].SSH, "mike", key)
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")

	anna := apptest.Login(t, nodes[0].Telnet, "anna")
	anna.Send("/w mike are you there?")
	anna.Until(offlineLine("mike")) // past mike's leave line, which the stream may bring after anna's join
	anna.Send("has anyone seen Mike today?")
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	subj := cluster.OfflineSubject(chat.Fold("mike"))
	apptest.Eventually(t, "the mention kept", func() bool { // published after the message, off the lock
		st, err := js.Stream(t.Context(), cluster.OfflineStream)
		if err != nil {
			return false
		}
		info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(subj))
		return err == nil && info.State.Subjects[subj] == 2
	})
	anna.Send("/w mike last one")
	anna.Expect(offlineLine("mike"))

	mike = apptest.DialSSHLines(t, nodes[1].SSH, "mike", key)
	mike.Expect("<system> Welcome to the chat room!", "<system> Logging in as mike")
	expectKept(t, mike.Client, "anna whispered to you: are you there?", "#chat <anna> has anyone seen Mike today?", "anna whispered to you: last one")
	mike.Expect(joinLine("mike"))
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")
	mike.Closed()

	apptest.Eventually(t, "mike gone from node b", func() bool { return nodes[1].App.Hub().Online() == 0 })
	var again *apptest.SSHLines
	deadline := time.Now().Add(apptest.Wait)
	for { // node b lets go of the name once the connection closed
		again = apptest.DialSSHLines(t, nodes[0].SSH, "mike", key)
		again.Expect("<system> Welcome to the chat room!")
		l := again.Next()
		if l == "<system> Logging in as mike" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mike's login on node a: %q", l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	again.Expect(joinLine("mike")) // nothing kept: delivered once
}

// TestClusterIdentityRestart: once every node stopped, new nodes on new
// data folders know the bindings and passwords from the cluster alone.
func TestClusterIdentityRestart(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := startNodes(t, c, 2, 2*time.Second)
	key := apptest.NewKey(t)
	mike := apptest.LoginSSH(t, nodes[0].SSH, "mike", key)
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")
	protectOverTelnet(t, nodes[1], "anna", "hunter2hunter2")
	for _, n := range nodes {
		n.Stop(t)
	}

	nodes = startNodes(t, c, 2, 2*time.Second)
	owned := "<system> " + chat.RefusalText(chat.ErrNameOwned)
	apptest.DialSSHLines(t, nodes[1].SSH, "mike", apptest.NewKey(t)).ExpectClosed("<system> Welcome to the chat room!", owned)
	u := apptest.Dial(t, nodes[0].Telnet)
	u.Welcome()
	askedFor(u, "anna")
}
