package sshd_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

// TestLinesChat: without a pty, the SSH door speaks PROTOCOL.md's line
// protocol, minus the prompt, with the telnet users in the same rooms.
func TestLinesChat(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	mike := apptest.LoginSSH(t, srv.SSH, "mike", apptest.NewKey(t))
	alice.Expect("<helperbot> mike has joined the chat room!")

	alice.Send("hi mike")
	alice.Quiet()
	mike.Expect("<alice> hi mike")
	mike.Send("hey alice")
	mike.Quiet() // no echo
	alice.Expect("<mike> hey alice")

	mike.Send("/switch lobby")
	mike.Expect("<system> Switched to room 'lobby'", "<helperbot> mike has joined the chat room!")
	alice.Expect("<helperbot> mike has left the chat room!")

	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")
	mike.Closed()
	if got := apptest.ExitStatus(t, mike.Session); got != 0 {
		t.Errorf("exit status after /leave = %d, want 0", got)
	}
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 1 })
}

// TestLinesKeyboardInteractive: a user without a key gets in with no questions.
func TestLinesKeyboardInteractive(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	c := apptest.LoginSSH(t, srv.SSH, "keyless", nil)
	c.Quiet()
}

// TestLinesRefused: every refusal row of PROTOCOL.md's login table, with
// the name preset by SSH: the welcome line, the refusal line, exit status 1.
func TestLinesRefused(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	apptest.Login(t, srv.Telnet, "taken")
	owner := apptest.NewKey(t)
	o := apptest.LoginSSH(t, srv.SSH, "owned", owner)
	o.Send("/leave")
	o.Closed()
	for _, tc := range []struct {
		name, user string
		key        gossh.Signer
		want       string
	}{
		{"too long", strings.Repeat("x", 21), nil, "<system> Username must be less than 20 characters."},
		{"invalid", "mi!ke", nil, "<system> Usernames may only use letters, digits, '-', '_' and '.'."},
		{"system", "System", nil, "<system> That username is reserved, please try another one."},
		{"plugin", "helperBot", nil, "<system> That username is reserved, please try another one."},
		{"taken", "TAKEN", apptest.NewKey(t), "<system> That username is already taken, please try another one."},
		{"other key", "owned", apptest.NewKey(t), "<system> That username belongs to another SSH key, please try another one."},
		{"no key", "Owned", nil, "<system> That username belongs to another SSH key, please try another one."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := apptest.DialSSHLines(t, srv.SSH, tc.user, tc.key)
			c.Expect("<system> Welcome to the chat room!", tc.want)
			if rest := c.Closed(); len(rest) > 0 {
				t.Errorf("lines after the refusal: %q", rest)
			}
			if got := apptest.ExitStatus(t, c.Session); got != 1 {
				t.Errorf("exit status = %d, want 1", got)
			}
		})
	}
	again := apptest.LoginSSH(t, srv.SSH, "owned", owner) // the owner's key still works
	again.Quiet()
	if got := srv.App.Hub().Online(); got != 2 {
		t.Errorf("Online() = %d, want 2 (taken, owned)", got)
	}
}

// TestLinesShutdown: a line user is told of the shutdown, then the session ends.
func TestLinesShutdown(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	c := apptest.LoginSSH(t, srv.SSH, "mike", nil)
	start := time.Now()
	srv.Stop(t)
	c.Expect("<system> The server is shutting down.")
	c.Closed()
	if got := apptest.ExitStatus(t, c.Session); got != 0 {
		t.Errorf("exit status = %d, want 0", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v; the session should not wait for the grace", d)
	}
}

// TestLinesCutNoGhost: a client that vanishes leaves no user behind.
func TestLinesCutNoGhost(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	c := apptest.LoginSSH(t, srv.SSH, "mike", nil)
	c.SSH.Close()
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })
	apptest.LoginSSH(t, srv.SSH, "mike", nil).Quiet()
}

// TestHostKeyKept: the host key is generated in the data folder on first
// start and is the same after a restart.
func TestHostKeyKept(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	first := apptest.Start(t, cfg)
	var k1, k2 gossh.PublicKey
	apptest.DialSSH(t, first.SSH, "mike", nil, &k1).Close()
	first.Stop(t)
	if _, err := os.Stat(filepath.Join(cfg.DataDir, app.HostKeyFile)); err != nil {
		t.Fatalf("host key file: %v", err)
	}
	second := apptest.Start(t, cfg)
	apptest.DialSSH(t, second.SSH, "mike", nil, &k2).Close()
	if k1.Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s, want ed25519", k1.Type())
	}
	if !bytes.Equal(k1.Marshal(), k2.Marshal()) {
		t.Errorf("host key changed after restart: %s, then %s",
			gossh.FingerprintSHA256(k1), gossh.FingerprintSHA256(k2))
	}
}

// TestHandshakeTimeout: a TCP connection that never speaks SSH is dropped.
func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	// Long enough for the login below (dial, handshake, session, shell) on
	// a loaded machine under -race: it must open its session within it.
	cfg.SSHHandshakeTimeout = 1500 * time.Millisecond
	srv := apptest.Start(t, cfg)
	conn, err := net.Dial("tcp", srv.SSH)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(apptest.Wait))
	start := time.Now()
	got, err := io.ReadAll(conn) // the server's version line, then EOF
	if err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if !strings.HasPrefix(string(got), "SSH-2.0-chatserver") {
		t.Errorf("server said %q", got)
	}
	if d := time.Since(start); d < cfg.SSHHandshakeTimeout*9/10 {
		t.Errorf("dropped after %v, before the timeout", d)
	}
	apptest.LoginSSH(t, srv.SSH, "mike", nil).Quiet() // the door still works
}

// TestConnCaps: connections over the per-address cap are told why and end
// with exit status 1; a slot freed is usable again.
func TestConnCaps(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.MaxConnsPerIP = 2
	srv := apptest.Start(t, cfg)
	a := apptest.LoginSSH(t, srv.SSH, "a", nil)
	apptest.LoginSSH(t, srv.SSH, "b", nil)
	c := apptest.DialSSHLines(t, srv.SSH, "c", nil)
	c.Expect("<system> Too many connections, please try again later.")
	c.Closed()
	if got := apptest.ExitStatus(t, c.Session); got != 1 {
		t.Errorf("exit status = %d, want 1", got)
	}
	a.SSH.Close()
	apptest.Eventually(t, "a's slot freed", func() bool { return srv.App.Hub().Online() == 1 })
	apptest.Eventually(t, "c gets in", func() bool {
		sc := apptest.DialSSH(t, srv.SSH, "c", nil, nil)
		defer sc.Close()
		s, err := sc.NewSession()
		if err != nil {
			return false
		}
		out, _ := s.Output("")
		return strings.HasPrefix(string(out), "<system> Welcome")
	})
}
