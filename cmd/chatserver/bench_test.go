package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/cmd/chatserver/bench"
)

// TestBenchRefusesRemote: chatserver bench loads only this machine unless
// told otherwise, and says so before dialling anything.
func TestBenchRefusesRemote(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, err := run(t, "bench", "--addr", "10.1.2.3:8999", "--users", "2", "--senders", "1", "--duration", "1s")
	if !errors.Is(err, bench.ErrRemoteTarget) {
		t.Errorf("bench --addr 10.1.2.3:8999 = %v, want ErrRemoteTarget", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusal took %v", d)
	}
}

func TestBenchHelp(t *testing.T) {
	t.Parallel()
	out, err := run(t, "bench", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--addr", "--door", "--users", "--senders", "--rate", "--duration", "--size", "--stalled",
		"--source-ips", "--pty", "--login-concurrency", "--allow-remote", "--server-pid", "--json", "--rooms", "--flood-rate 0",
		"open-file limit (ulimit -n)", `the room users join (a room of the bench's own: its lines stay in that room's history) [$CHATSERVER_BENCH_ROOM] (default "bench")`} {
		if !strings.Contains(out, flag) {
			t.Errorf("bench --help does not mention %s", flag)
		}
	}
	if strings.Contains(out, "sandbox") {
		t.Errorf("bench --help speaks of a sandbox:\n%s", out)
	}
}

// TestBenchProgressCleared: the progress bar ends each phase at its last
// state (the login at N/N users) and is wiped ("\r\x1b[K") before the
// result is printed, so the result starts on a line of its own.
func TestBenchProgressCleared(t *testing.T) {
	t.Parallel()
	srv := benchServer(t)
	var out bytes.Buffer // stdout and stderr, as on one terminal
	cfg := bench.Config{Addr: srv.Telnet, Users: 30, Senders: 1, Rate: 5, Duration: 300 * time.Millisecond,
		Drain: apptest.Wait, LoginTimeout: apptest.Wait}
	if err := runBench(t.Context(), cfg, &out, &out, &progressBar{w: &out}, false); err != nil {
		t.Fatalf("runBench: %v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "login  30/30 users") {
		t.Errorf("the bar never showed the login complete (30/30):\n%q", s)
	}
	i := strings.LastIndex(s, "\r\x1b[K")
	if i < 0 {
		t.Fatalf("the bar was never cleared:\n%q", s)
	}
	result := s[i+len("\r\x1b[K"):]
	if !strings.HasPrefix(result, "telnet "+srv.Telnet+": 30 users") || strings.Contains(result, "[#") || strings.Contains(result, "\r") {
		t.Errorf("after the last clear, want the result alone; got:\n%q", result)
	}
	if before := s[:i]; !strings.HasPrefix(before, "\r\x1b[K[") || strings.Contains(before, "\n") {
		t.Errorf("before the last clear, want only bar frames; got:\n%q", before)
	}
}

// TestBenchDefaultRoom: a run without --room sends its lines in a room of
// its own, bench, and leaves the history of chat, where everyone starts,
// as it was.
func TestBenchDefaultRoom(t *testing.T) {
	t.Parallel()
	srv := benchServer(t)
	out, err := run(t, "bench", "--addr", srv.Telnet, "--users", "3", "--senders", "1", "--rate", "10",
		"--duration", "300ms", "--name", "zq", "--no-progress")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	anna := apptest.Login(t, srv.Telnet, "anna")
	anna.Send("/history 200")
	for _, l := range anna.Sync() {
		if strings.Contains(l, "<zq") {
			t.Errorf("chat's history holds a bench line: %q", l)
		}
	}
	anna.Send("/switch bench")
	anna.Until("<helperbot> anna has joined the chat room!")
	anna.Send("/history 200")
	if got := anna.Sync(); !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "<zq") }) {
		t.Errorf("bench's history holds none of the run's lines: %q", got)
	}
}

// TestBenchTwoAddrs: --addr A,B spreads the users over both (here one
// server listed twice), prints users, deliveries and latency per node and
// the order check, and --server-pid, repeated or a list, adds the
// processes' CPU up.
func TestBenchTwoAddrs(t *testing.T) {
	t.Parallel()
	srv := benchServer(t)
	pid := strconv.Itoa(os.Getpid())
	out, err := run(t, "bench", "--addr", srv.Telnet+","+srv.Telnet, "--users", "5", "--senders", "2", "--rate", "10",
		"--duration", "300ms", "--no-progress", "--server-pid", pid+","+pid, "--server-pid", pid)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	for _, want := range []string{
		"every line delivered exactly once",
		"against each room's reference reader: one order per room on every node; 0 of lines the reference lacks not compared",
		"node       " + srv.Telnet + ": 3 users, ",
		"node       " + srv.Telnet + ": 2 users, ",
		"(3 processes added up)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
}

// benchServer starts a telnet-only server with flood control off, as
// chatserver bench wants it.
func benchServer(t *testing.T) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	cfg.FloodRate = 0
	return apptest.Start(t, cfg)
}

// TestPprofLoopbackOnly: the debug listener is refused anywhere but on
// the loopback, and serves the profiles there.
func TestPprofLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{":6060", false},
		{"0.0.0.0:6060", false},
		{"10.1.2.3:6060", false},
		{"6060", false},
	} {
		if err := checkLoopbackListen(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkLoopbackListen(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
	_, err := run(t, "serve", "--pprof-addr", "0.0.0.0:0", "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "", "--data-dir", t.TempDir())
	if !errors.Is(err, errPprofNotLoopback) {
		t.Errorf("serve --pprof-addr 0.0.0.0:0 = %v, want errPprofNotLoopback", err)
	}

	addr, wait, err := startPprof(t.Context(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer wait()
	resp, err := http.Get("http://" + addr.String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("GET goroutine profile: %s %.80q", resp.Status, body)
	}
}
