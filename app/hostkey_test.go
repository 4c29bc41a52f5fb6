package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

// TestHostKeyLogged checks that every start logs the SSH host key's path
// and the fingerprint clients see, and whether it was generated then.
func TestHostKeyLogged(t *testing.T) {
	cfg := apptest.Config(t)
	path := filepath.Join(cfg.DataDir, app.HostKeyFile)
	for _, generated := range []string{"true", "false"} {
		log, out := apptest.NewLog()
		cfg.Logger = log
		srv := apptest.Start(t, cfg)
		var k gossh.PublicKey
		apptest.DialSSH(t, srv.SSH, "mike", nil, &k).Close()
		want := `msg="ssh host key" path=` + path + " fingerprint=" + gossh.FingerprintSHA256(k) + " generated=" + generated
		if got := out.Lines(`msg="ssh host key"`); len(got) != 1 || !strings.HasSuffix(got[0], want) {
			t.Errorf("start with generated=%s logged %q, want one line with %q", generated, got, want)
		}
		srv.Stop(t)
	}
}
