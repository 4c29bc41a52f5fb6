package app_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
)

// runLogged builds an App from cfg without its SSH door, logging to the
// returned Log, calls prepare (if not nil) and starts Run. stop ends Run as
// SIGTERM would and returns its error; the test fails if Run does not
// return within apptest.Wait.
func runLogged(t *testing.T, cfg app.Config, prepare func(*app.App)) (*app.App, *apptest.Log, func() error) {
	t.Helper()
	cfg.SSHAddr = ""
	log, out := apptest.NewLog()
	cfg.Logger = log
	a, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(a)
	}
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx) }()
	return a, out, func() error {
		cancel()
		select {
		case err := <-runErr:
			return err
		case <-time.After(apptest.Wait):
			t.Fatalf("Run did not return %v after shutdown", apptest.Wait)
			return nil
		}
	}
}

// TestShutdownStuckStore holds the database's write lock from outside, so
// that the store's writer is stuck on a message, and stops the server: Run
// returns without waiting for the writer, saying what was not stored.
func TestShutdownStuckStore(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.ShutdownGrace = 100 * time.Millisecond
	a, out, stop := runLogged(t, cfg, nil)

	u := url.URL{Scheme: "file", Path: filepath.Join(cfg.DataDir, app.DBFile)}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	alice := apptest.Login(t, a.TelnetAddr().String(), "alice")
	alice.Send("waiting") // a message, stored by the writer, which is now stuck
	alice.Sync()
	if err := stop(); err == nil || !strings.Contains(err.Error(), "the writer did not finish") {
		t.Errorf("Run = %v, want the store's writer not finished", err)
	}
	out.WaitFor(t, "messages not stored", "queued=1")
}
