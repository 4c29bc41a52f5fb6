package app_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat/store/storetest"
)

// newFails runs app.New on cfg, which must fail, and returns its error.
func newFails(t *testing.T, cfg app.Config) error {
	t.Helper()
	a, err := app.New(t.Context(), cfg)
	if err == nil {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		a.Run(ctx)
		t.Fatalf("app.New succeeded")
	}
	return err
}

// startAndStop checks that New succeeds on cfg, and stops the App at once.
func startAndStop(t *testing.T, cfg app.Config) {
	t.Helper()
	a, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestDataFolderInUse starts two servers on one data folder: the second
// stops with the first one's pid, the first keeps serving, a backup with a
// bad path into the folder leaves the lock alone, and once the first has
// stopped the folder can be used again.
func TestDataFolderInUse(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	srv := apptest.Start(t, cfg)

	inUse := fmt.Sprintf("data folder %s is in use by another chatserver (pid %d)", cfg.DataDir, os.Getpid())
	if err := newFails(t, cfg); err.Error() != inUse {
		t.Errorf("second app.New = %q, want %q", err, inUse)
	}
	alice := apptest.Login(t, srv.Telnet, "alice")
	alice.Send("/room")
	alice.Until("<system> You're currently in the 'chat' room.")

	lock := filepath.Join(cfg.DataDir, app.LockFile)
	if _, err := app.Backup(t.Context(), cfg.DataDir, lock); err == nil {
		t.Errorf("backup onto the lock file succeeded")
	}
	if b, err := os.ReadFile(lock); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file after a bad backup: %q, %v; want the pid", b, err)
	}
	if err := newFails(t, cfg); err.Error() != inUse {
		t.Errorf("app.New after a bad backup = %q, want %q", err, inUse)
	}

	srv.Stop(t)
	startAndStop(t, cfg)
}

// TestNewClosesOnError makes the SSH door fail to listen and checks that
// New left nothing open: the telnet port and the data folder are free.
func TestNewClosesOnError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	telnetAddr := free.Addr().String()
	free.Close()

	cfg := apptest.Config(t)
	cfg.TelnetAddr, cfg.SSHAddr = telnetAddr, taken.Addr().String()
	if err := newFails(t, cfg); !strings.Contains(err.Error(), "ssh listen") {
		t.Errorf("app.New = %v, want the SSH door's listen error", err)
	}
	ln, err := net.Listen("tcp", telnetAddr)
	if err != nil {
		t.Fatalf("the telnet port is still taken after New failed: %v", err)
	}
	ln.Close()
	cfg.SSHAddr = "" // the folder is free again
	startAndStop(t, cfg)
}

// TestReadOnlyDataFolder starts a server on a data folder that has a
// database but takes no writes: New says so, in words.
func TestReadOnlyDataFolder(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	startAndStop(t, cfg)
	if !storetest.ReadOnly(t, cfg.DataDir) {
		t.Skip("cannot make a folder read-only here")
	}
	err := newFails(t, cfg)
	if msg := err.Error(); msg != "data folder "+cfg.DataDir+" is read-only" &&
		!strings.HasPrefix(msg, "data folder "+cfg.DataDir+" is not writable: ") {
		t.Errorf("app.New = %q, want \"data folder %s is read-only\" or \"… is not writable: …\"", msg, cfg.DataDir)
	}
}
