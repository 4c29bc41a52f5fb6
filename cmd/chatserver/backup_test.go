package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

// run runs the chatserver command line with args and returns what it
// printed and its error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(nil)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

// TestBackupRestore backs up the database and host key of a running
// server with chatserver backup, restores the copies into a new data folder
// as the README says, and finds the room and the host key there.
func TestBackupRestore(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	var hostKey, restoredKey gossh.PublicKey
	apptest.DialSSH(t, srv.SSH, "mike", nil, &hostKey).Close()
	alice := apptest.Login(t, srv.Telnet, "alice")
	alice.Send("/switch Den")
	alice.Expect("<system> Switched to room 'Den'")

	dst := filepath.Join(t.TempDir(), "backup.db")
	t.Setenv("CHATSERVER_DATA_DIR", cfg.DataDir)
	out, err := run(t, "backup", dst)
	if err != nil {
		t.Fatalf("chatserver backup: %v", err)
	}
	if want := "backed up " + filepath.Join(cfg.DataDir, app.DBFile) + " to " + dst; !strings.HasPrefix(out, want) {
		t.Errorf("chatserver backup printed %q, want %q…", out, want)
	}
	keyCopy := dst + app.HostKeyBackupSuffix
	if want := "backed up " + filepath.Join(cfg.DataDir, app.HostKeyFile) + " to " + keyCopy + "\n"; !strings.HasSuffix(out, want) {
		t.Errorf("chatserver backup printed %q, want …%q", out, want)
	}
	if fi, err := os.Stat(keyCopy); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("host key copy: %v, %v; want mode 0600", fi, err)
	}
	if _, err := run(t, "backup", "--data-dir", cfg.DataDir, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup to the same file = %v, want an error", err)
	}
	srv.Stop(t)

	restored := t.TempDir()
	for from, to := range map[string]string{dst: app.DBFile, keyCopy: app.HostKeyFile} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(restored, to), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DataDir = restored
	srv = apptest.Start(t, cfg)
	apptest.DialSSH(t, srv.SSH, "mike", nil, &restoredKey).Close()
	if !bytes.Equal(hostKey.Marshal(), restoredKey.Marshal()) {
		t.Errorf("restored host key %s, want %s", gossh.FingerprintSHA256(restoredKey), gossh.FingerprintSHA256(hostKey))
	}
	bob := apptest.Login(t, srv.Telnet, "bob")
	bob.Send("/rooms")
	bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den")
}

// TestServeStartError checks that chatserver serve on a corrupt database
// stops at once with one clear error.
func TestServeStartError(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, app.DBFile)
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "serve", "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "", "--data-dir", dir, "--log-level", "error")
	if want := "open store " + db + ": file is not a database (26)"; err == nil || err.Error() != want {
		t.Errorf("chatserver serve = %v, want %q", err, want)
	}
}

// TestServeFolderInUse checks that chatserver serve on the data folder of
// a running server stops at once, saying which process holds it.
func TestServeFolderInUse(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	apptest.Start(t, cfg)
	_, err := run(t, "serve", "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "", "--data-dir", cfg.DataDir, "--log-level", "error")
	if want := fmt.Sprintf("data folder %s is in use by another chatserver (pid %d)", cfg.DataDir, os.Getpid()); err == nil || err.Error() != want {
		t.Errorf("chatserver serve = %v, want %q", err, want)
	}
}
