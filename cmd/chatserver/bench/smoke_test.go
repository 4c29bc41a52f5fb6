package bench_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/cmd/chatserver/bench"
)

// startServer starts a real server with flood control off, as the load
// tool wants it.
func startServer(t *testing.T) *apptest.Server {
	t.Helper()
	return apptest.Start(t, serverConfig(t))
}

// serverConfig is the configuration of startServer.
func serverConfig(t *testing.T) app.Config {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.MaxConnsPerIP = 1000
	return cfg
}

// smoke runs cfg (with the tests' patience for draining and logging in)
// and fails the test unless every line sent reached every other reader of
// its room exactly once, every reader of a room in one order. It asserts
// nothing about time.
func smoke(t *testing.T, cfg bench.Config) *bench.Result {
	t.Helper()
	cfg.Drain, cfg.LoginTimeout = apptest.Wait, apptest.Wait
	res, err := bench.Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	users := cfg.Users
	if res.Logins != users {
		t.Errorf("logins = %d, want %d", res.Logins, users)
	}
	if res.Sent == 0 || res.Expected == 0 {
		t.Fatalf("sent %d lines, expected %d deliveries: nothing was measured", res.Sent, res.Expected)
	}
	if !res.ExactlyOnce || res.Delivered != res.Expected || res.Missing != 0 || res.Duplicates != 0 || res.Stray != 0 {
		t.Errorf("delivered %d/%d, missing %d, duplicates %d, stray %d: want every line exactly once",
			res.Delivered, res.Expected, res.Missing, res.Duplicates, res.Stray)
	}
	if res.Latency == nil || res.Latency.N != uint64(res.Delivered) {
		t.Errorf("latency histogram %+v, want one value per delivery (%d)", res.Latency, res.Delivered)
	}
	if res.FloodWarnings != 0 || res.ServerDropped != 0 || res.Disconnected != 0 {
		t.Errorf("flood warnings %d, dropped %d, disconnected %d: want none", res.FloodWarnings, res.ServerDropped, res.Disconnected)
	}
	if !res.InOrder || res.OrderViolations != 0 || res.OrderChecked == 0 || res.OrderNotInReference != 0 {
		t.Errorf("order: in order %v, %d violations (%s), %d checked, %d not at the reference; want every delivery checked and none out of order",
			res.InOrder, res.OrderViolations, res.OrderFirst, res.OrderChecked, res.OrderNotInReference)
	}
	return res
}

// TestSmokeTelnet is a short run against a real server over telnet: 20
// users, 2 senders, about a second.
func TestSmokeTelnet(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	smoke(t, bench.Config{
		Addr: srv.Telnet, Users: 20, Senders: 2, Rate: 20, Duration: time.Second,
	})
}

// TestSmokeRoomsStalledCeiling: rooms, stalled readers and the rate-0
// window together, over telnet.
func TestSmokeRoomsStalledCeiling(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	smoke(t, bench.Config{
		Addr: srv.Telnet, Users: 20, Senders: 4, Rate: 0, Window: 20, Duration: 500 * time.Millisecond,
		Rooms: 2, Room: "bench", Stalled: 2, SourceIPs: 3,
	})
}

// TestSmokeSSHLines is the telnet smoke run over SSH without a pty.
func TestSmokeSSHLines(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	smoke(t, bench.Config{
		Addr: srv.SSH, Door: bench.DoorSSHNoPty, Users: 20, Senders: 2, Rate: 20, Duration: time.Second,
		Rooms: 2,
	})
}

// TestRefusesRemoteTarget: a target off the loopback is refused before
// anything is dialled, unless AllowRemote says otherwise.
func TestRefusesRemoteTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr   string
		allow  bool
		refuse bool
	}{
		{"127.0.0.1:8999", false, false},
		{"127.3.4.5:8999", false, false},
		{"[::1]:2222", false, false},
		{"localhost:8999", false, false},
		{":8999", false, false},
		{"10.1.2.3:8999", false, true},
		{"192.168.0.1:2222", false, true},
		{"[2001:db8::1]:8999", false, true},
		{"0.0.0.0:8999", false, true},
		{"10.1.2.3:8999", true, false},
	} {
		err := bench.CheckTarget(t.Context(), tc.addr, tc.allow)
		if got := errors.Is(err, bench.ErrRemoteTarget); got != tc.refuse {
			t.Errorf("CheckTarget(%q, allow %v) = %v, want refused %v", tc.addr, tc.allow, err, tc.refuse)
		}
	}
	start := time.Now()
	_, err := bench.Run(t.Context(), bench.Config{Addr: "10.1.2.3:8999", Users: 5, Senders: 1, Rate: 1, Duration: time.Second})
	if !errors.Is(err, bench.ErrRemoteTarget) {
		t.Errorf("Run against 10.1.2.3 = %v, want ErrRemoteTarget", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusal took %v: it should not dial", d)
	}
}

// TestSmokeSSHPty is a short run over SSH with a pty: the ids are read off
// the UI's screen, each counted at its first appearance.
func TestSmokeSSHPty(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	smoke(t, bench.Config{
		Addr: srv.SSH, Door: bench.DoorSSH, Users: 10, Senders: 2, Rate: 2, Duration: 1500 * time.Millisecond,
		Rooms: 2, Room: "ui",
		PtyWidth: 120, PtyHeight: 40,
	})
}

// TestSmokeTwoAddrs spreads the users over two addresses, over telnet and
// SSH with and without a pty, and checks the per-node figures. Both are one real
// server, listed twice (--addr X,X): the same run against two nodes of a
// cluster is TestSmokeCluster.
func TestSmokeTwoAddrs(t *testing.T) {
	t.Parallel()
	for _, cfg := range []bench.Config{
		{Door: bench.DoorTelnet, Users: 21, Senders: 3, Rate: 20},
		{Door: bench.DoorSSHNoPty, Users: 21, Senders: 3, Rate: 20},
		{Door: bench.DoorSSH, Users: 10, Senders: 2, Rate: 2},
	} {
		t.Run(string(cfg.Door), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t) // a server each: one address may create only 5 rooms an hour
			cfg.Addr = srv.SSH
			if cfg.Door == bench.DoorTelnet {
				cfg.Addr = srv.Telnet
			}
			cfg.Addr += "," + cfg.Addr
			cfg.Duration, cfg.Rooms, cfg.ServerPIDs = time.Second, 2, []int{os.Getpid(), os.Getpid()}
			checkNodes(t, smoke(t, cfg), 2)
		})
	}
}

// checkNodes checks a run's per-node figures: users spread evenly, the
// deliveries of every node adding up, a latency for each.
func checkNodes(t *testing.T, res *bench.Result, n int) {
	t.Helper()
	if len(res.Nodes) != n {
		t.Fatalf("%d nodes in the result, want %d", len(res.Nodes), n)
	}
	users, delivered := 0, int64(0)
	for _, node := range res.Nodes {
		if node.Users < res.Users/n || node.Users > res.Users/n+1 {
			t.Errorf("node %s has %d of %d users, want an even share", node.Addr, node.Users, res.Users)
		}
		if node.Latency == nil || node.Latency.N != uint64(node.Delivered) {
			t.Errorf("node %s: latency %+v for %d deliveries", node.Addr, node.Latency, node.Delivered)
		}
		users += node.Users
		delivered += node.Delivered
	}
	if users != res.Users || delivered != res.Delivered {
		t.Errorf("nodes add up to %d users and %d deliveries, want %d and %d", users, delivered, res.Users, res.Delivered)
	}
	if res.Server == nil || len(res.Server.PIDs) != n {
		t.Errorf("server stats %+v, want %d pids added up", res.Server, n)
	}
}
