package app_test

import (
	"regexp"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

const (
	lineServerBanned = "<system> You've been banned from this server."
	lineNotOperator  = "<helperbot> You must be a server operator to do that."
)

// opsConfig is apptest.Config with flood control off and an operators
// file listing keys.
func opsConfig(t *testing.T, keys ...gossh.Signer) app.Config {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.OpsFile = apptest.OpsFile(t, keys...)
	return cfg
}

// loginFrom logs name in on the telnet door at addr from the local IP from.
func loginFrom(t *testing.T, addr, from, name string) *apptest.Client {
	t.Helper()
	c := apptest.DialFrom(t, addr, from)
	c.Welcome()
	c.Send(name)
	c.Expect("<system> Logging in as "+name, joinLine(name))
	return c
}

// refusedSSH expects a session without a pty as user, from the local IP
// from, with key (nil for none), to get the server-ban line alone and end
// with exit status 1.
func refusedSSH(t *testing.T, addr, from, user string, key gossh.Signer) {
	t.Helper()
	c := apptest.DialSSHLinesFrom(t, addr, from, user, key)
	c.ExpectClosed(lineServerBanned)
	if code := apptest.ExitStatus(t, c.Session); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
}

// refusedTelnet expects a login as name on the telnet door at addr to get
// the server-ban line, and the connection to close.
func refusedTelnet(t *testing.T, addr, name string) {
	t.Helper()
	c := apptest.Dial(t, addr)
	c.Welcome()
	c.Send(name)
	c.ExpectClosed(lineServerBanned)
}

// gbanned has op send cmd, a /gban of the user called name (troll), online
// in the room of op and bystander: troll gets the ban line and is cut, the
// others see them leave, and op then gets confirm.
func gbanned(op, bystander, troll *apptest.Client, cmd, name, confirm string) {
	op.Send(cmd)
	troll.ExpectClosed(lineServerBanned)
	bystander.Expect(leaveLine(name))
	op.Expect(leaveLine(name), confirm)
}

// TestGbanFromKeyFile: an operator, by the key in the operators file, logs
// in over SSH and bans a troll on the telnet door; the troll is told and
// cut, their room sees them leave, and then their name (and a look-alike)
// and their address are refused on both doors; a troll on SSH takes its key
// down with it, whatever name the key comes back with, with a pty too.
// /gunban lets them all in again.
func TestGbanFromKeyFile(t *testing.T) {
	t.Parallel()
	opKey, trollKey := apptest.NewKey(t), apptest.NewKey(t)
	srv := apptest.Start(t, opsConfig(t, opKey))
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	bob := apptest.Login(t, srv.Telnet, "bob")
	root.Expect(joinLine("bob"))
	troll := loginFrom(t, srv.Telnet, "127.0.0.2", "Troll")
	root.Expect(joinLine("Troll"))
	bob.Expect(joinLine("Troll"))

	gbanned(root.Client, bob, troll, "/gban troll", "Troll", "<helperbot> Troll is banned from this server.")

	// The address, right after accept on telnet, before the login line on SSH.
	apptest.DialFrom(t, srv.Telnet, "127.0.0.2").ExpectClosed(lineServerBanned)
	refusedSSH(t, srv.SSH, "127.0.0.2", "someone", nil)
	// The name, and a look-alike, from another address.
	for _, name := range []string{"troll", "TR0LL"} {
		refusedTelnet(t, srv.Telnet, name)
		refusedSSH(t, srv.SSH, "", name, nil)
	}

	// A troll with a key, on SSH: the key is banned whatever the name.
	troll2 := apptest.DialSSHLinesFrom(t, srv.SSH, "127.0.0.3", "troll2", trollKey)
	troll2.Expect("<system> Welcome to the chat room!", "<system> Logging in as troll2", joinLine("troll2"))
	root.Expect(joinLine("troll2"))
	bob.Expect(joinLine("troll2"))
	gbanned(root.Client, bob, troll2.Client, "/gban troll2 30m", "troll2", "<helperbot> troll2 is banned from this server for 30m.")
	refusedSSH(t, srv.SSH, "", "innocent", trollKey)
	scr := apptest.DialScreen(t, srv.SSH, "innocent", trollKey, 80, 24)
	scr.WaitText(lineServerBanned)
	if code := apptest.ExitStatus(t, scr.Session); code != 1 {
		t.Errorf("the UI's exit status %d, want 1", code)
	}

	root.Send("/gbans")
	root.Expect("<helperbot> Banned from this server:", "<helperbot> 1. Troll from 127.0.0.2 (for good)")
	fp := gossh.FingerprintSHA256(trollKey.PublicKey())
	if got, want := root.Next(), regexp.MustCompile(`^<helperbot> 2\. troll2 key `+regexp.QuoteMeta(fp)+` from 127\.0\.0\.3 \(until \d{4}-\d\d-\d\d \d\d:\d\d\)$`); !want.MatchString(got) {
		t.Errorf("/gbans line %q, want %s", got, want)
	}

	root.Send("/gunban TROLL")
	root.Expect("<helperbot> Troll is no longer banned from this server.")
	root.Send("/gunban troll")
	root.Expect("<helperbot> troll is not banned from this server.")
	root.Send("/gunban troll2")
	root.Expect("<helperbot> troll2 is no longer banned from this server.")
	loginFrom(t, srv.Telnet, "127.0.0.2", "troll")
	apptest.LoginSSH(t, srv.SSH, "troll2", trollKey)
	bob.Expect(joinLine("troll"), joinLine("troll2"))
	allQuiet(bob)
}

// TestGbanLines: every line of /gban, /gunban and /gbans that has no
// other test: a user who is not an operator (on telnet, or on SSH with a
// key not in the file) is refused each; an operator's lines over SSH.
func TestGbanLines(t *testing.T) {
	t.Parallel()
	opKey := apptest.NewKey(t)
	srv := apptest.Start(t, opsConfig(t, opKey))
	alice := apptest.Login(t, srv.Telnet, "root") // the name alone makes no operator
	other := apptest.LoginSSH(t, srv.SSH, "other", apptest.NewKey(t))
	alice.Expect(joinLine("other"))
	for _, c := range []*apptest.Client{alice, other.Client} {
		for _, cmd := range []string{"/gban bob", "/gban bob 1h", "/GBAN", "/gunban bob", "/gbans"} {
			c.Send(cmd)
			c.Expect(lineNotOperator)
		}
	}
	op := apptest.LoginSSH(t, srv.SSH, "op", opKey)
	alice.Expect(joinLine("op"))
	other.Expect(joinLine("op"))
	for _, step := range []struct{ in, want string }{
		{"/gbans", "<helperbot> Nobody is banned from this server."},
		{"/gban", lineNotFound},
		{"/gban bad*name", lineNotFound},
		{"/gban carl soon", "<helperbot> Durations look like 30m, 2h or 7d."},
		{"/gbans", "<helperbot> Nobody is banned from this server."},
		{"/gban carl 7d", "<helperbot> carl is banned from this server for 7d."},
		{"/gban carl", "<helperbot> carl is banned from this server."},
		{"/gbans", "<helperbot> Banned from this server:"},
		{"", "<helperbot> 1. carl (for good)"},
		{"/gunban", "<helperbot> Please specify a username to unban."},
		{"/gunban Carl", "<helperbot> carl is no longer banned from this server."},
		{"/gunban carl", "<helperbot> carl is not banned from this server."},
	} {
		if step.in != "" {
			op.Send(step.in)
		}
		op.Expect(step.want)
	}
	allQuiet(alice, other.Client)
}

// TestServerBansSurviveRestart: server bans, for good and timed, with
// their names, keys and addresses, hold after a restart.
func TestServerBansSurviveRestart(t *testing.T) {
	t.Parallel()
	opKey, trollKey := apptest.NewKey(t), apptest.NewKey(t)
	cfg := opsConfig(t, opKey)
	srv := apptest.Start(t, cfg)
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	apptest.DialSSHLinesFrom(t, srv.SSH, "127.0.0.4", "troll", trollKey).Expect(
		"<system> Welcome to the chat room!", "<system> Logging in as troll", joinLine("troll"))
	root.Expect(joinLine("troll"))
	root.Send("/gban troll 1h")
	root.Expect(leaveLine("troll"), "<helperbot> troll is banned from this server for 1h.")
	root.Send("/gban later")
	root.Expect("<helperbot> later is banned from this server.")
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	apptest.DialFrom(t, srv.Telnet, "127.0.0.4").ExpectClosed(lineServerBanned)
	refusedSSH(t, srv.SSH, "", "troll", nil)
	refusedSSH(t, srv.SSH, "", "someone", trollKey)
	refusedSSH(t, srv.SSH, "", "later", nil)
	refusedTelnet(t, srv.Telnet, "later")
	root = apptest.LoginSSH(t, srv.SSH, "root", opKey)
	root.Send("/gbans")
	root.Expect("<helperbot> Banned from this server:")
	if got := root.Next(); !strings.HasPrefix(got, "<helperbot> 1. troll key "+gossh.FingerprintSHA256(trollKey.PublicKey())+" from 127.0.0.4 (until ") {
		t.Errorf("/gbans line %q", got)
	}
	root.Expect("<helperbot> 2. later (for good)")
}

// fingerprint is the SHA256 fingerprint of key's public key, as /whois
// and /gbans show it.
func fingerprint(key gossh.Signer) string { return gossh.FingerprintSHA256(key.PublicKey()) }

// TestGbanOnScreen: a troll in the SSH UI is shown the ban line as the
// UI closes, and the session ends; the room sees them leave. The
// operator, on the same address, still gets in.
func TestGbanOnScreen(t *testing.T) {
	t.Parallel()
	opKey := apptest.NewKey(t)
	srv := apptest.Start(t, opsConfig(t, opKey))
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	scr := apptest.DialScreen(t, srv.SSH, "troll", apptest.NewKey(t), 80, 24)
	root.Expect(joinLine("troll"))
	root.Send("/gban troll 2h")
	root.Expect(leaveLine("troll"), "<helperbot> troll is banned from this server for 2h.")
	scr.WaitText(lineServerBanned)
	if code := apptest.ExitStatus(t, scr.Session); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	// The troll came from the operator's own address: anyone else from it
	// is refused now, the operator's key is not.
	apptest.Dial(t, srv.Telnet).ExpectClosed(lineServerBanned)
	root.SSH.Close()
	root.Closed()
	apptest.LoginSSH(t, srv.SSH, "root", opKey)
}

// TestOperatorListedAsAdmin: an operator is an admin of every room, so
// /users lists them " (admin)" wherever they are, as it does a creator.
func TestOperatorListedAsAdmin(t *testing.T) {
	t.Parallel()
	opKey := apptest.NewKey(t)
	srv := apptest.Start(t, opsConfig(t, opKey))
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	bob := apptest.Login(t, srv.Telnet, "bob")
	root.Expect(joinLine("bob"))
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. root (admin)", "<helperbot> 2. bob")
}
