package bench_test

import (
	"slices"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
	"chatserver/cmd/chatserver/bench"
)

// TestSmokeCluster runs the bench against two nodes of a real cluster: a
// 3-server JetStream cluster and two app.App nodes, users spread over both
// and every line checked exactly once and in one order per room on both.
// Until room lines cross nodes (slice 4, the "lines" helper's), it is
// skipped: a line said on node a that has not reached node b in 5 s.
func TestSmokeCluster(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := make([]*apptest.Server, 2)
	for i := range nodes {
		cfg := serverConfig(t)
		cfg.NATS = app.NATS{URLs: c.URLs(), Node: string(rune('a' + i))}
		nodes[i] = apptest.Start(t, cfg)
	}
	if !crossNode(t, nodes[0].Telnet, nodes[1].Telnet) {
		t.Skip("room lines do not cross nodes yet (slice 4, cluster/lines.go): a line said on node a did not reach node b within 5s")
	}
	res := smoke(t, bench.Config{
		Addr: nodes[0].Telnet + "," + nodes[1].Telnet, Users: 20, Senders: 3, Rate: 10, Duration: time.Second,
	})
	checkNodes(t, res, 2)
}

// crossNode reports whether a line said in the default room on the node
// at a reaches a member of it on the node at b within 5 s.
func crossNode(t *testing.T, a, b string) bool {
	t.Helper()
	ua, ub := apptest.Login(t, a, "probea"), apptest.Login(t, b, "probeb")
	ua.Send("across")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Contains(ub.Sync(), "<probea> across") {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
