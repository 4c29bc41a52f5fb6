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
	t.Setenv("CHATSERVER_METRICS_ADDR", addr)
	if out, err := run(t, "health"); err != nil || out != "ready\n" {
		t.Errorf("chatserver health with CHATSERVER_METRICS_ADDR = %q, %v; want \"ready\\n\", nil", out, err)
	}
	if storetest.ReadOnly(t, cfg.DataDir) {
		_, err := run(t, "health", "--addr", addr)
		if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "store not writable") {
			t.Errorf("chatserver health on a read-only store = %v, want 503 … store not writable", err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	if _, err := run(t, "health", "--addr", free); err == nil {
		t.Errorf("chatserver health --addr %s (nothing listening) succeeded, want an error", free)
	}
}
