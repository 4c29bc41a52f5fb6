package main

import (
	"net"
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat/store/storetest"
)

// TestHealth: chatserver health succeeds (exit 0) against a ready server,
// and fails (main exits 1) with the reason when the store cannot write or
// nothing answers.
func TestHealth(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.MetricsAddr = "127.0.0.1:0"
	srv := apptest.Start(t, cfg)
	addr := srv.App.MetricsAddr().String()
	apptest.Eventually(t, "chatserver health succeeds", func() bool {
		_, err := run(t, "health", "--addr", addr)
		return err == nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()

	t.Setenv("CHATSERVER_METRICS_ADDR", addr)
	if out, err := run(t, "health"); err != nil || out != "ready\n" {
		t.Errorf("chatserver health with CHATSERVER_METRICS_ADDR = %q, %v; want \"ready\\n\", nil", out, err)
	}
	// bench's address is not health's: CHATSERVER_ADDR, or bench's own
	// variable, pointing elsewhere leaves health asking the server.
	t.Setenv("CHATSERVER_ADDR", free)
	t.Setenv("CHATSERVER_BENCH_ADDR", free)
	if out, err := run(t, "health"); err != nil || out != "ready\n" {
		t.Errorf("chatserver health with CHATSERVER_ADDR and CHATSERVER_BENCH_ADDR elsewhere = %q, %v; want \"ready\\n\", nil", out, err)
	}
	t.Setenv("CHATSERVER_HEALTH_ADDR", free)
	if _, err := run(t, "health"); err == nil || !strings.Contains(err.Error(), free) {
		t.Errorf("chatserver health with CHATSERVER_HEALTH_ADDR=%s (nothing listening) = %v, want an error naming it", free, err)
	}

	if storetest.ReadOnly(t, cfg.DataDir) {
		_, err := run(t, "health", "--addr", addr)
		if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "store not writable") {
			t.Errorf("chatserver health on a read-only store = %v, want 503 … store not writable", err)
		}
	}
	if _, err := run(t, "health", "--addr", free); err == nil {
		t.Errorf("chatserver health --addr %s (nothing listening) succeeded, want an error", free)
	}
}
