package sshd_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/app/sshd"
	"chatserver/chat"
	"chatserver/chat/store"
)

// TestRunStoppedBeforeStart: a door whose context is done before Run
// starts (a server stopped at once, as by a second signal during start)
// returns at once and frees its port, instead of racing the SSH library's
// Serve against its Shutdown, which could leave Serve running.
func TestRunStoppedBeforeStart(t *testing.T) {
	t.Parallel()
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := sshd.New(sshd.Config{Addr: "127.0.0.1:0", HostKeyPath: filepath.Join(t.TempDir(), "host_key"), Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	addr := d.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(apptest.Wait):
		d.CloseAll()
		t.Fatalf("Run still running %v after its context ended", apptest.Wait)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s still taken after Run: %v", addr, err)
	}
	ln.Close()
}
