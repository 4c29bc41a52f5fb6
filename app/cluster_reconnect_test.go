package app_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/cluster/clustertest"
)

// startCutNode starts node name of c on the given NATS URLs only, with
// bucket and stream replicas as the cluster has servers, the names' TTL
// ttl (the default if 0: longer than the cuts of these tests) and
// /readyz.
func startCutNode(t *testing.T, c *clustertest.Cluster, name string, ttl time.Duration, urls ...string) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.NATS = app.NATS{URLs: urls, Node: name, NameTTL: ttl, Replicas: min(3, len(c.URLs()))}
	return apptest.Start(t, cfg)
}

// urlOf is the client URL of c's i-th server.
func urlOf(c *clustertest.Cluster, i int) string { return c.Server(i).ClientURL() }

// sayTo has from say each of lines, and to get them, in order.
func sayTo(from, to *apptest.Client, name string, lines ...string) {
	for _, l := range lines {
		from.Send(l)
	}
	for _, l := range lines {
		to.Expect("<" + name + "> " + l)
	}
}

// readyzIs waits until the node's /readyz answers code.
func readyzIs(t *testing.T, n *apptest.Server, code int) {
	t.Helper()
	apptest.Eventually(t, "/readyz answers "+strconv.Itoa(code), func() bool {
		_, got := get(t, n, "/readyz")
		return got == code
	})
}

// TestClusterReconnectLines: node A, connected to one NATS server of
// three, loses it. Its user gets the lost line, then the reconnected
// line (A learnt the others from the cluster); the lines they said
// before (confirmed: the user on node B had them) are not said again,
// the lines either says after reach the other (both nodes' consumers go
// on from where they were), nothing is doubled, and both stay in each
// other's /users with no leave or join line.
func TestClusterReconnectLines(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	a := startCutNode(t, c, "a", 0, urlOf(c, 0))
	b := startCutNode(t, c, "b", 0, urlOf(c, 1), urlOf(c, 2))
	anna := apptest.Login(t, a.Telnet, "anna")
	bob := apptest.Login(t, b.Telnet, "bob")
	anna.Until("<helperbot> bob has joined the chat room!")
	sayTo(anna, bob, "anna", "before 1", "before 2", "before 3")

	c.Shutdown(0)
	anna.Expect("<system> "+chat.TextConnectionLost, "<system> "+chat.TextReconnected)
	sayTo(anna, bob, "anna", "after 1", "after 2")
	sayTo(bob, anna, "bob", "back 1", "back 2")
	both := []string{"<helperbot> 1. anna", "<helperbot> 2. bob"}
	for _, u := range []*apptest.Client{anna, bob} {
		u.Send("/users")
		u.Expect(append([]string{"<helperbot> Current online users:"}, both...)...)
		u.Quiet() // nothing doubled, no leave or join line
	}
}

// TestClusterCutOff: the only NATS server of a cluster stops for a while
// and comes back on its port and store. The users of both nodes are told
// the connection was lost; /readyz answers 503; a line said meanwhile is
// refused within 2 s with the not-sent line and reaches nobody, ever. Once
// the server is back, both are told they are reconnected, /readyz
// answers 200, a line from each node reaches the other (each node's
// consumer resumed), the lines said before are not said again, and both
// users are still in each other's /users with no leave or join line.
func TestClusterCutOff(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 1)
	a := startCutNode(t, c, "a", 0, c.URL())
	b := startCutNode(t, c, "b", 0, c.URL())
	anna := apptest.Login(t, a.Telnet, "anna")
	bob := apptest.Login(t, b.Telnet, "bob")
	anna.Until("<helperbot> bob has joined the chat room!")
	sayTo(anna, bob, "anna", "before")
	readyzIs(t, a, 200)

	c.Shutdown(0)
	lost := "<system> " + chat.TextConnectionLost
	anna.Expect(lost)
	bob.Expect(lost)
	readyzIs(t, a, 503)
	readyzIs(t, b, 503)
	start := time.Now()
	anna.Send("while cut")
	anna.Expect("<system> " + chat.TextNotSent)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the not-sent line came %v after the line, want it within the 2 s a line waits", took)
	}
	bob.Send("/me waits")
	bob.Expect("<system> " + chat.TextNotSent)

	c.Restart(0)
	back := "<system> " + chat.TextReconnected
	anna.Expect(back)
	bob.Expect(back)
	readyzIs(t, a, 200)
	readyzIs(t, b, 200)
	sayTo(anna, bob, "anna", "after")
	sayTo(bob, anna, "bob", "again")
	both := []string{"<helperbot> 1. anna", "<helperbot> 2. bob"}
	for _, u := range []*apptest.Client{anna, bob} {
		u.Send("/users")
		u.Expect(append([]string{"<helperbot> Current online users:"}, both...)...)
		u.Quiet() // "while cut" never came, nothing doubled, no leave or join line
	}
	anna.Send("/history")
	var h []string
	for _, l := range anna.Sync() {
		_, text, _ := strings.Cut(l, "] ") // "<system> [HH:MM] <anna> before"
		h = append(h, text)
	}
	if want := []string{"<anna> before", "<anna> after", "<bob> again"}; !slices.Equal(h, want) {
		t.Errorf("/history = %q, want %q: the lines said, once, and none refused while cut off", h, want)
	}
}

// TestClusterNodeCutOff: node A alone is cut off from NATS (its
// connection goes through a proxy that closes it and refuses new ones)
// for two seconds, past the refreshes of its names but within their TTL,
// while node B goes on. A's user is told, and a line they say meanwhile
// is refused within 2 s; B's user chats on and still finds them in /users,
// with no leave line. Once A is back, its user is told, gets what B's user
// said meanwhile, once, in order, and both chat again; nobody sees a
// leave or join line, nor a line twice.
func TestClusterNodeCutOff(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 1)
	p := c.Proxy(0)
	const ttl = 6 * time.Second
	a := startCutNode(t, c, "a", ttl, p.URL())
	b := startCutNode(t, c, "b", ttl, c.URL())
	anna := apptest.Login(t, a.Telnet, "anna")
	bob := apptest.Login(t, b.Telnet, "bob")
	anna.Until("<helperbot> bob has joined the chat room!")
	sayTo(anna, bob, "anna", "before")
	both := []string{"<helperbot> Current online users:", "<helperbot> 1. anna", "<helperbot> 2. bob"}

	p.Cut()
	anna.Expect("<system> " + chat.TextConnectionLost)
	readyzIs(t, a, 503)
	anna.Send("while cut")
	anna.Expect("<system> " + chat.TextNotSent)
	bob.Send("meanwhile 1")
	bob.Send("/me meanwhile 2")
	bob.Send("/users")
	bob.Expect(both...)
	time.Sleep(ttl / 3) // the cut lasts past a refresh of anna's name (every ttl/4), within its TTL
	bob.Send("/users")
	bob.Expect(both...)
	bob.Quiet() // no leave line of anna, no error for bob's lines

	p.Restore()
	var got []string
	for !slices.Contains(got, "<system> "+chat.TextReconnected) || !slices.Contains(got, "* bob meanwhile 2") {
		got = append(got, anna.Next())
	}
	got = slices.DeleteFunc(got, func(l string) bool { return l == "<system> "+chat.TextReconnected })
	if want := []string{"<bob> meanwhile 1", "* bob meanwhile 2"}; !slices.Equal(got, want) {
		t.Fatalf("anna got %q after the cut, want %q", got, want)
	}
	readyzIs(t, a, 200)
	sayTo(anna, bob, "anna", "after")
	sayTo(bob, anna, "bob", "again")
	for _, u := range []*apptest.Client{anna, bob} {
		u.Send("/users")
		u.Expect(both...)
		u.Quiet() // nothing twice, no leave or join line, "while cut" never came
	}
}
