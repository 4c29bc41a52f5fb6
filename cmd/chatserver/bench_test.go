package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

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
		"--source-ips", "--pty", "--login-concurrency", "--allow-remote", "--server-pid", "--json", "--rooms", "--flood-rate 0"} {
		if !strings.Contains(out, flag) {
			t.Errorf("bench --help does not mention %s", flag)
		}
	}
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
