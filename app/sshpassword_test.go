package app_test

import (
	"errors"
	"io"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// answer is a keyboard-interactive client that answers the one question
// "Password for NAME: ", not echoed, with password; any other question
// fails the test. asked counts the questions.
func answer(t *testing.T, name, password string, asked *int) gossh.AuthMethod {
	return gossh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
		if len(questions) == 0 {
			return nil, nil
		}
		*asked++
		if len(questions) != 1 || questions[0] != "Password for "+name+": " || echos[0] {
			t.Errorf("asked %q (echo %v), want only %q without echo", questions, echos, "Password for "+name+": ")
			return nil, errors.New("unexpected question")
		}
		return []string{password}, nil
	})
}

// forged offers the public key of one key and signs with another: a
// client that has the owner's public key but not its private key.
type forged struct {
	pub  gossh.PublicKey
	sign gossh.Signer
}

func (f forged) PublicKey() gossh.PublicKey { return f.pub }
func (f forged) Sign(r io.Reader, data []byte) (*gossh.Signature, error) {
	return f.sign.Sign(r, data)
}

// welcomed reads the welcome, login and join lines of name on c.
func welcomed(c *apptest.SSHLines, name string) {
	c.Expect("<system> Welcome to the chat room!", "<system> Logging in as "+name, joinLine(name))
}

// TestSSHPassword: a name protected by a password over telnet is asked
// for it by keyboard-interactive over SSH, with no key or with a key that
// does not own it, and gets in with the right one only; the password
// line of /whois shows, and no key does.
func TestSSHPassword(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	protectOverTelnet(t, srv, "mike", "hunter2hunter2")

	other := apptest.NewKey(t)
	for _, tc := range []struct {
		name string
		auth func(asked *int) []gossh.AuthMethod
	}{
		{"no key", func(asked *int) []gossh.AuthMethod {
			return []gossh.AuthMethod{answer(t, "mike", "hunter2hunter2", asked)}
		}},
		{"another key", func(asked *int) []gossh.AuthMethod {
			return []gossh.AuthMethod{gossh.PublicKeys(other), answer(t, "mike", "hunter2hunter2", asked)}
		}},
	} {
		asked := 0
		sc, err := apptest.DialSSHAuth(t, srv.SSH, "mike", tc.auth(&asked)...)
		if err != nil {
			t.Fatalf("%s, right password: %v", tc.name, err)
		}
		if asked != 1 {
			t.Errorf("%s: asked %d times, want once", tc.name, asked)
		}
		c := apptest.LinesOn(t, sc)
		welcomed(c, "mike")
		c.Send("/whois mike")
		whoisWhere(t, c.Client, "mike: in 'chat' via ssh")
		c.Expect("<system> mike: protected by a password")
		leaveSSH(t, c)
		apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })

		wrong := 0
		if _, err := apptest.DialSSHAuth(t, srv.SSH, "mike", answer(t, "mike", "hunter2hunter3", &wrong)); err == nil {
			t.Errorf("%s, wrong password: got in", tc.name)
		}
	}
}

// TestSSHOwnerKey: the key that owns a name gets in without a password,
// with or without one set; other keys are asked for the password; a
// client that offers the owner's public key without its private key
// gets nothing: not in as the owner, and asked for the password or
// refused with the owned-name line.
func TestSSHOwnerKey(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	annaKey, mikeKey := apptest.NewKey(t), apptest.NewKey(t)
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "anna", annaKey)) // owned, no password
	m := apptest.LoginSSH(t, srv.SSH, "mike", mikeKey)
	m.Send("/password hunter2hunter2")
	m.Expect("<system> Your name is now protected by a password.")
	leaveSSH(t, m)
	apptest.Eventually(t, "everyone logged out", func() bool { return srv.App.Hub().Online() == 0 })

	never := 0
	for name, key := range map[string]gossh.Signer{"anna": annaKey, "mike": mikeKey} {
		sc, err := apptest.DialSSHAuth(t, srv.SSH, name, gossh.PublicKeys(key), answer(t, name, "", &never))
		if err != nil {
			t.Fatalf("%s with the owning key: %v", name, err)
		}
		c := apptest.LinesOn(t, sc)
		welcomed(c, name)
		c.Send("/whois " + name)
		whoisWhere(t, c.Client, name+": in 'chat' via ssh")
		c.Expect("<system> " + name + ": key " + gossh.FingerprintSHA256(key.PublicKey()))
		leaveSSH(t, c)
		apptest.Eventually(t, "logged out", func() bool { return srv.App.Hub().Online() == 0 })
	}
	if never != 0 {
		t.Errorf("the owning keys were asked for a password %d times, want never", never)
	}

	// The owner's public key, signed by another key: the handshake fails.
	thief := apptest.NewKey(t)
	for name, key := range map[string]gossh.Signer{"anna": annaKey, "mike": mikeKey} {
		if _, err := apptest.DialSSHAuth(t, srv.SSH, name, gossh.PublicKeys(forged{key.PublicKey(), thief}), answer(t, name, "", &never)); err == nil {
			t.Errorf("%s's public key signed by another key: got in", name)
		}
	}
	if n := srv.App.Hub().Online(); n != 0 {
		t.Errorf("%d users online after the forged keys, want 0", n)
	}
	if never != 0 {
		t.Errorf("anna, who has no password, was asked for one %d times", never)
	}
}
