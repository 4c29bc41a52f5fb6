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

// startCutNode starts node name of c on the URLs of the given servers
// only, with bucket and stream replicas as the cluster has servers, the
// default names' TTL (longer than the cuts of these tests) and /readyz.
func startCutNode(t *testing.T, c *clustertest.Cluster, name string, servers ...int) *apptest.Server {
	t.Helper()
	var urls []string
	for _, i := range servers {
		urls = append(urls, c.Server(i).ClientURL())
	}
	cfg := apptest.Config(t)
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.NATS = app.NATS{URLs: urls, Node: name, Replicas: min(3, len(c.URLs()))}
	return apptest.Start(t, cfg)
}

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
	a := startCutNode(t, c, "a", 0)
	b := startCutNode(t, c, "b", 1, 2)
	anna := clusterLogin(t, a.Telnet, "anna")
	bob := clusterLogin(t, b.Telnet, "bob")
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
// refused at once with the not-sent line and reaches nobody, ever. Once
// the server is back, both are told they are reconnected, /readyz
// answers 200, a line from each node reaches the other (each node's
// consumer resumed), the lines said before are not said again, and both
// users are still in each other's /users with no leave or join line.
func TestClusterCutOff(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 1)
	a := startCutNode(t, c, "a", 0)
	b := startCutNode(t, c, "b", 0)
	anna := clusterLogin(t, a.Telnet, "anna")
	bob := clusterLogin(t, b.Telnet, "bob")
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
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the not-sent line came %v after the line, want it at once", took)
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
