package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// serveChildEnv holds the arguments of TestServeChild's chatserver, split
// by NUL bytes.
const serveChildEnv = "CHATSERVER_TEST_SERVE_ARGS"

// TestServeChild is the chatserver process that TestReloadOnSIGHUP starts:
// the real main, with its signal handling, on the arguments it was given.
// Run on its own it does nothing.
func TestServeChild(t *testing.T) {
	args := os.Getenv(serveChildEnv)
	if args == "" {
		t.Skip("the chatserver process of TestReloadOnSIGHUP")
	}
	os.Args = append([]string{"chatserver"}, strings.Split(args, "\n")...)
	main()
}

// logLines reads a JSON log and hands on each record.
func logLines(t *testing.T, f *os.File) <-chan map[string]any {
	recs := make(chan map[string]any, 1000)
	go func() {
		defer close(recs)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				t.Logf("server: %s", sc.Text())
				continue
			}
			recs <- rec
		}
	}()
	return recs
}

// waitLog returns the next record of recs whose message is msg, failing
// the test if none comes within apptest.Wait.
func waitLog(t *testing.T, recs <-chan map[string]any, msg string) map[string]any {
	t.Helper()
	deadline := time.After(apptest.Wait)
	for {
		select {
		case rec, ok := <-recs:
			if !ok {
				t.Fatalf("the server's log ended before %q", msg)
			}
			if rec["msg"] == msg {
				return rec
			}
		case <-deadline:
			t.Fatalf("no log record %q within %v", msg, apptest.Wait)
		}
	}
}

// startServe starts chatserver serve with args in a process of its own,
// with env added to its environment, and waits for both doors to listen;
// it returns the process, its JSON log and the doors' addresses.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, <-chan map[string]any, map[string]string) {
	t.Helper()
	return startServeListening(t, 2, env, args...)
}

// startServeListening is startServe waiting for n listeners (the doors,
// and the metrics address if it serves one) instead of two.
func startServeListening(t *testing.T, n int, env []string, args ...string) (*exec.Cmd, <-chan map[string]any, map[string]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(append(os.Environ(), env...), serveChildEnv+"="+strings.Join(append([]string{"serve"}, args...), "\n"))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	recs := logLines(t, r)
	addrs := map[string]string{}
	for len(addrs) < n {
		rec := waitLog(t, recs, "listening")
		addrs[rec["door"].(string)], _ = rec["addr"].(string)
	}
	return cmd, recs, addrs
}

// TestReloadOnSIGHUP runs chatserver serve in a process of its own with an
// operators file and a MOTD file, changes both and sends SIGHUP: a user
// online with a key just listed becomes an operator without logging in
// again, nobody is logged out, the next login gets the new MOTD. A bad
// operators file and a missing MOTD file are logged and the old settings
// kept. SIGINT then shuts it down as before.
func TestReloadOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	t.Parallel()
	dir := t.TempDir()
	ops, motd := filepath.Join(dir, "ops"), filepath.Join(dir, "motd")
	writeFile(t, ops, "# nobody yet\n")
	writeFile(t, motd, "Hello v1\n")
	cmd, recs, addrs := startServe(t, nil, "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--ops-file", ops, "--motd-file", motd, "--log-format", "json", "--flood-rate", "0")

	anna := apptest.Dial(t, addrs["telnet"])
	anna.Welcome()
	anna.Send("anna")
	anna.Expect("<system> Logging in as anna", "<system> Hello v1", "<helperbot> anna has joined the chat room!")
	key := apptest.NewKey(t)
	kay := apptest.DialSSHLines(t, addrs["ssh"], "kay", key)
	kay.Expect("<system> Welcome to the chat room!", "<system> Logging in as kay", "<system> Hello v1", "<helperbot> kay has joined the chat room!")
	anna.Expect("<helperbot> kay has joined the chat room!")
	kay.Send("/gbans")
	kay.Expect("<helperbot> You must be a server operator to do that.")

	writeFile(t, ops, "# kay\n"+string(gossh.MarshalAuthorizedKey(key.PublicKey())))
	writeFile(t, motd, "Hello v2\n\nsecond line\n")
	cmd.Process.Signal(syscall.SIGHUP)
	rec := waitLog(t, recs, "ops file reloaded")
	if fp := gossh.FingerprintSHA256(key.PublicKey()); rec["added"] != fp || rec["removed"] != "" {
		t.Errorf("ops file reloaded: %v, want added %s", rec, fp)
	}
	if rec := waitLog(t, recs, "operator rights granted"); rec["user"] != "kay" {
		t.Errorf("operator rights granted: %v, want kay", rec)
	}
	waitLog(t, recs, "motd file reloaded, changed")
	kay.Send("/gbans")
	kay.Expect("<helperbot> Nobody is banned from this server.")
	anna.Send("/motd")
	anna.Expect("<system> Hello v2", "<system> second line")
	bob := apptest.Dial(t, addrs["telnet"])
	bob.Welcome()
	bob.Send("bob")
	bob.Expect("<system> Logging in as bob", "<system> Hello v2", "<system> second line", "<helperbot> bob has joined the chat room!")
	anna.Expect("<helperbot> bob has joined the chat room!")
	kay.Expect("<helperbot> bob has joined the chat room!")

	writeFile(t, ops, "not a key\n")
	os.Remove(motd)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, recs, "ops file not reloaded, the old one stays")
	waitLog(t, recs, "motd file not reloaded, the old one stays")
	kay.Send("/gbans")
	kay.Expect("<helperbot> Nobody is banned from this server.")
	anna.Send("/motd")
	anna.Expect("<system> Hello v2", "<system> second line")
	anna.Quiet()

	interruptServe(t, cmd, anna)
}

// writeFile writes text to the file at path, failing the test if it
// cannot.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// interruptServe sends SIGINT to the chatserver process cmd and checks
// that c, a user still connected, is told of the shutdown and that the
// process ends with status 0.
func interruptServe(t *testing.T, cmd *exec.Cmd, c *apptest.Client) {
	t.Helper()
	cmd.Process.Signal(os.Interrupt)
	c.ExpectClosed("<system> The server is shutting down.")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("chatserver ended with %v, want status 0", err)
		}
	case <-time.After(apptest.Wait):
		t.Fatal("chatserver still running after SIGINT")
	}
}
