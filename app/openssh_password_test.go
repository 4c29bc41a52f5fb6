//go:build unix

package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// openssh runs the OpenSSH client without a terminal (ssh -T) as user
// on addr with only the public key file pub (no private key: OpenSSH
// offers it, the server accepts it, and the client cannot sign), sends
// input and returns what it printed; keyboard-interactive questions are
// answered with password through SSH_ASKPASS, each written to asked.
func openssh(t *testing.T, addr, user, pub, password, input string) (out, asked string) {
	t.Helper()
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no OpenSSH client")
	}
	dir := t.TempDir()
	askedFile := filepath.Join(dir, "asked")
	askpass := filepath.Join(dir, "askpass")
	script := "#!/bin/sh\necho \"$1\" >> " + askedFile + "\necho '" + password + "'\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(t.Context(), apptest.Wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, ssh, "-T", "-F", "/dev/null", "-p", port, "-i", pub,
		"-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", user+"@"+host)
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal to ask on
	cmd.Stdin = strings.NewReader(input)
	b, _ := cmd.CombinedOutput()
	a, _ := os.ReadFile(askedFile)
	return string(b), string(a)
}

// TestOpenSSHPublicKeyOnly: a real OpenSSH client that has the owner's
// public key but not its private key gets nothing of the owner's: for a
// name without a password it goes on without a key and is refused with
// the owned-name line; for a name with a password it is asked for it,
// and once in, no key is taken as its own.
func TestOpenSSHPublicKeyOnly(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	annaKey, mikeKey := apptest.NewKey(t), apptest.NewKey(t)
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "anna", annaKey))
	m := apptest.LoginSSH(t, srv.SSH, "mike", mikeKey)
	m.Send("/password hunter2hunter2")
	m.Expect("<system> Your name is now protected by a password.")
	leaveSSH(t, m)
	apptest.Eventually(t, "everyone logged out", func() bool { return srv.App.Hub().Online() == 0 })

	pub := func(k gossh.Signer) string {
		p := filepath.Join(t.TempDir(), "id.pub")
		if err := os.WriteFile(p, gossh.MarshalAuthorizedKey(k.PublicKey()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, asked := openssh(t, srv.SSH, "anna", pub(annaKey), "", "")
	if want := "<system> " + chat.RefusalText(chat.ErrNameOwned); !strings.Contains(out, want) || strings.Contains(out, "Logging in") {
		t.Errorf("anna's public key alone: %q, want %q", out, want)
	}
	if asked != "" {
		t.Errorf("anna, without a password, was asked %q", asked)
	}
	out, asked = openssh(t, srv.SSH, "mike", pub(mikeKey), "hunter2hunter2", "/whois mike\n")
	if !strings.Contains(out, "<system> Logging in as mike") || !strings.Contains(out, "<system> mike: protected by a password") {
		t.Errorf("mike's public key alone, then his password: %q, want in", out)
	}
	if strings.Contains(out, "mike: key ") {
		t.Errorf("mike got in with a key he did not prove: %q", out)
	}
	if strings.Count(asked, "\n") != 1 || !strings.HasSuffix(asked, "Password for mike: \n") { // OpenSSH puts "(mike@host) " first
		t.Errorf("asked %q, want once for mike's password", asked)
	}
}
