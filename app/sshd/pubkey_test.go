package sshd_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// forged offers a victim's public key without having its private key. The
// server accepts the key when it is offered (its public key callback runs
// before any signature is checked); then the client either cannot sign
// (sign nil: a query only, as OpenSSH does with a public key file alone,
// and the client moves on to its next method on the same connection) or
// signs with another key (a signature that fails).
type forged struct {
	victim gossh.PublicKey
	sign   gossh.Signer
}

func (f forged) PublicKey() gossh.PublicKey { return f.victim }

func (f forged) Sign(rand io.Reader, data []byte) (*gossh.Signature, error) {
	if f.sign == nil {
		return nil, errors.New("no private key")
	}
	return f.sign.Sign(rand, data)
}

// TestPublicKeyWithoutPrivateKey: offering a victim's public key without
// its private key never gets the victim's name: a query, then
// keyboard-interactive on the same connection, logs in without a key, with
// or without a pty. (golang.org/x/crypto/ssh's client tries the publickey
// method once, so a key of its own cannot follow on that connection.) A
// signature that fails ends the connection.
func TestPublicKeyWithoutPrivateKey(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	victim := apptest.NewKey(t)
	apptest.LoginSSH(t, srv.SSH, "victim", victim).SSH.Close() // the key owns the name
	apptest.Eventually(t, "victim gone", func() bool { return srv.App.Hub().Online() == 0 })

	attacker := apptest.NewKey(t)
	dial := func(auth ...gossh.AuthMethod) (*gossh.Client, error) {
		return gossh.Dial("tcp", srv.SSH, &gossh.ClientConfig{
			User: "victim", Auth: auth, Timeout: apptest.Wait,
			HostKeyCallback: func(string, net.Addr, gossh.PublicKey) error { return nil },
		})
	}
	if sc, err := dial(gossh.PublicKeys(forged{victim: victim.PublicKey(), sign: attacker})); err == nil {
		sc.Close()
		t.Fatal("a forged signature logged in")
	}

	queryOnly := gossh.PublicKeys(forged{victim: victim.PublicKey()})
	keyboard := gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })
	const refusal = "<system> That username belongs to another SSH key, please try another one.\n"
	for _, tc := range []struct {
		name string
		auth []gossh.AuthMethod
		pty  bool
	}{
		{"then keyboard-interactive", []gossh.AuthMethod{queryOnly, keyboard}, false},
		{"then keyboard-interactive, pty", []gossh.AuthMethod{queryOnly, keyboard}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := dial(tc.auth...)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer sc.Close()
			stop := time.AfterFunc(apptest.Wait, func() { sc.Close() }) // logged in: the session would last
			defer stop.Stop()
			sess, err := sc.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if tc.pty {
				if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
					t.Fatal(err)
				}
			}
			out, err := sess.Output("")
			said := strings.ReplaceAll(string(out), "\r\n", "\n") // a pty's line ends
			if !strings.HasSuffix(said, refusal) || strings.Contains(said, "Logging in") {
				t.Errorf("said %.300q, want it to end with %q", out, refusal)
			}
			var ee *gossh.ExitError
			if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
				t.Errorf("ended with %v, want exit status 1", err)
			}
			if got := srv.App.Hub().Online(); got != 0 {
				t.Errorf("Online() = %d, want 0", got)
			}
		})
	}
	apptest.LoginSSH(t, srv.SSH, "victim", victim) // the name is still the victim's
}
