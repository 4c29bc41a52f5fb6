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

	"github.com/nats-io/nats.go/jetstream"
)

// startNodeOn starts the chatserver node called name joined to c through
// the URLs of the given servers of c only.
func startNodeOn(t *testing.T, c *clustertest.Cluster, name string, ttl time.Duration, servers ...int) *apptest.Server {
	t.Helper()
	var urls []string
	for _, i := range servers {
		urls = append(urls, c.Server(i).ClientURL())
	}
	cfg := apptest.Config(t)
	cfg.NATS = app.NATS{URLs: urls, Node: name, NameTTL: ttl}
	return apptest.Start(t, cfg)
}

// TestClusterReconnect: a node connected to one NATS server of three
// loses it; its telnet user is told the connection to the rest of the
// server was lost, then that it is back (the node learnt the other
// servers from the cluster and reconnects to one by itself), in that
// order, and stays logged in: the name is still theirs, refreshed past
// its TTL, so a login of it on another node is refused.
func TestClusterReconnect(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	const ttl = 4 * time.Second // more than a leader's election after the server is lost
	a := startNodeOn(t, c, "a", ttl, 0)
	b := startNodeOn(t, c, "b", ttl, 1, 2)
	anna := apptest.Login(t, a.Telnet, "anna")

	c.Shutdown(0)
	anna.Expect("<system> "+chat.TextConnectionLost, "<system> "+chat.TextReconnected)
	anna.Quiet() // still logged in, nothing else said

	taken := "<system> " + chat.RefusalText(chat.ErrNameTaken)
	other := apptest.Dial(t, b.Telnet)
	other.Welcome()
	other.Send("anna")
	other.Expect(taken)
	time.Sleep(ttl + ttl/2) // a name not refreshed after the reconnect would expire meanwhile
	other.Send("anna")
	other.Expect(taken)
	anna.Quiet()
}

// TestClusterNodeName: a node started with the name of a node alive is
// refused, with an error naming it; once that node stopped, its entry
// among the nodes is gone and its name free.
func TestClusterNodeName(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	first := startNode(t, c, "a", 2*time.Second)
	cfg := apptest.Config(t)
	cfg.NATS = app.NATS{URLs: c.URLs(), Node: "a", NameTTL: 2 * time.Second}
	if err := newFails(t, cfg); !strings.Contains(err.Error(), "node a: another node of this name is alive") {
		t.Fatalf("app.New of a second node a = %v, want one saying node a is alive", err)
	}
	first.Stop(t)
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NodesBucket)
	if err != nil {
		t.Fatalf("nodes bucket: %v", err)
	}
	if e, err := kv.Get(t.Context(), cluster.Key("a")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("node a's entry once it stopped = %v, %v; want it deleted", e, err)
	}
	startNode(t, c, "a", 2*time.Second)
}

// TestClusterTLSSettings: a client certificate without its key, or a CA
// file that is not there, stops a node at start with an error saying so.
func TestClusterTLSSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tls  app.NATSTLS
		want string
	}{
		{app.NATSTLS{Cert: "cert.pem"}, "a client certificate needs its key"},
		{app.NATSTLS{Key: "key.pem"}, "a client certificate needs its key"},
		{app.NATSTLS{CA: "/nonexistent/ca.pem"}, "ca.pem"},
	} {
		cfg := apptest.Config(t)
		cfg.NATS = app.NATS{URLs: []string{"nats://127.0.0.1:1"}, Node: "a", TLS: tc.tls}
		if err := newFails(t, cfg); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("app.New with TLS %+v = %v, want an error containing %q", tc.tls, err, tc.want)
		}
	}
}
