package bench_test

import (
	"os"
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
func TestSmokeCluster(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	nodes := make([]*apptest.Server, 2)
	for i := range nodes {
		cfg := serverConfig(t)
		cfg.NATS = app.NATS{URLs: c.URLs(), Node: string(rune('a' + i))}
		nodes[i] = apptest.Start(t, cfg)
	}
	res := smoke(t, bench.Config{
		Addr: nodes[0].Telnet + "," + nodes[1].Telnet, Users: 20, Senders: 3, Rate: 10, Duration: time.Second,
		ServerPIDs: []int{os.Getpid(), os.Getpid()}, // both nodes are this process
	})
	checkNodes(t, res, 2)
}
