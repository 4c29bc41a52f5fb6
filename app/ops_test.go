package app_test

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

func newPub(t testing.TB) gossh.PublicKey { return apptest.NewKey(t).PublicKey() }

// TestParseOperators: authorized_keys lines with options and comments,
// blank lines and '#' comments; a line that is no key is an error naming
// its line.
func TestParseOperators(t *testing.T) {
	t.Parallel()
	a, b := newPub(t), newPub(t)
	line := func(k gossh.PublicKey) string { return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) }
	good := "# operators\n\n  " + line(a) + " anna@example\r\n" + `from="10.0.0.0/8",restrict ` + line(b) + "\n"
	ops, err := app.ParseOperators([]byte(good))
	if err != nil {
		t.Fatalf("parseOperators: %v", err)
	}
	if len(ops) != 2 || !ops[gossh.FingerprintSHA256(a)] || !ops[gossh.FingerprintSHA256(b)] {
		t.Errorf("parseOperators = %v, want both keys", ops)
	}
	if ops, err := app.ParseOperators(nil); err != nil || len(ops) != 0 {
		t.Errorf("an empty file: %v, %v", ops, err)
	}
	for _, bad := range []string{"not a key\n", line(a) + "\nssh-ed25519 AAAAnotbase64!\n", "ssh-ed25519\n"} {
		if _, err := app.ParseOperators([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("app.ParseOperators(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

// FuzzParseOperators: any file is either an error or a set of keys that
// are all in it, and never a panic.
func FuzzParseOperators(f *testing.F) {
	k := newPub(f)
	f.Add(string(gossh.MarshalAuthorizedKey(k)))
	f.Add("# c\n\ncommand=\"x\" " + string(gossh.MarshalAuthorizedKey(k)) + "garbage\n")
	f.Add("ssh-rsa AAAA\n")
	f.Fuzz(func(t *testing.T, s string) {
		ops, err := app.ParseOperators([]byte(s))
		if err == nil && len(ops) > strings.Count(s, "\n")+1 {
			t.Fatalf("%d keys from %d lines", len(ops), strings.Count(s, "\n")+1)
		}
	})
}
