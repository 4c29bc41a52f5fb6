package apptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// OpsFile writes an operators file (OpenSSH authorized_keys) listing
// keys, with a comment and a blank line, in a folder of the test's, and
// returns its path: for app.Config.OpsFile.
func OpsFile(t testing.TB, keys ...gossh.Signer) string {
	t.Helper()
	text := "# chatserver operators\n\n"
	for _, k := range keys {
		text += strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.PublicKey()))) + " op@example\n"
	}
	path := filepath.Join(t.TempDir(), "ops")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatalf("write the operators file: %v", err)
	}
	return path
}
