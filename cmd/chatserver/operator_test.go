package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"chatserver/app/apptest"
)

// setKey sets key to the TOML value v in the config file text, as an
// operator editing chatserver config example's output does.
func setKey(t *testing.T, text, key, v string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*$`)
	if !re.MatchString(text) {
		t.Fatalf("config example has no key %s", key)
	}
	return re.ReplaceAllLiteralString(text, key+" = "+v)
}

// metricsText returns the body of GET /metrics at addr.
func metricsText(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s, %v", resp.Status, err)
	}
	return string(b)
}

// TestOperatorWalkthrough is issue 13's "done means", end to end against
// the real chatserver serve process: the operator copies chatserver config
// example to a file with a few changes, starts the server with --config,
// scrapes /metrics, sees a ban made over telnet in chatserver audit
// --json, edits the MOTD file and sends SIGHUP; nobody was disconnected
// and the next login gets the new MOTD.
func TestOperatorWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	t.Parallel()
	dir := t.TempDir()
	data, motd, config := filepath.Join(dir, "data"), filepath.Join(dir, "motd"), filepath.Join(dir, "chatserver.toml")
	writeFile(t, motd, "Welcome, v1\n")

	example, err := run(t, "config", "example")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"telnet_addr", "'127.0.0.1:0'"}, {"ssh_addr", "'127.0.0.1:0'"}, {"metrics_addr", "'127.0.0.1:0'"},
		{"data_dir", "'" + data + "'"}, {"motd_file", "'" + motd + "'"}, {"log_format", "'json'"},
	} {
		example = setKey(t, example, kv[0], kv[1])
	}
	writeFile(t, config, example)
	cmd, recs, addrs := startServeListening(t, 3, nil, "--config", config)
	for _, door := range []string{"telnet", "ssh", "metrics"} {
		if addrs[door] == "" {
			t.Fatalf("no %s listening: %v", door, addrs)
		}
	}

	before := metricsText(t, addrs["metrics"])
	for _, name := range []string{"chatserver_users_online", "chatserver_logins_total", "chatserver_fanout_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(before, "\n"+name) {
			t.Errorf("/metrics has no %s", name)
		}
	}

	login := func(name string) *apptest.Client {
		c := apptest.Dial(t, addrs["telnet"])
		c.Welcome()
		c.Send(name)
		c.Expect("<system> Logging in as "+name, "<system> Welcome, v1")
		c.Until("<helperbot> " + name + " has joined the chat room!")
		return c
	}
	alice := login("alice")
	alice.Send("/switch Den")
	alice.Until("<system> Switched to room 'Den'")
	bob := login("bob")
	bob.Send("/switch Den")
	bob.Until("<system> Switched to room 'Den'")
	carol := login("carol")
	alice.Send("/ban bob 2h")
	alice.Until("<helperbot> bob is banned from 'Den' for 2h.")
	bob.Until("<helperbot> You've been banned from the 'Den' room for 2h. You've been returned to 'chat'.")

	recsAudit := auditJSON(t, "--data-dir", data)
	if got := actions(recsAudit); !slices.Equal(got, []string{"ban bob"}) {
		t.Fatalf("chatserver audit --json: %q, want [ban bob]", got)
	}
	if r := recsAudit[0]; r.Actor != "alice" || r.Room != "Den" || r.Args != "for 2h" || !strings.HasPrefix(r.ActorAddr, "127.0.0.1:") {
		t.Errorf("audit record %+v, want alice banning bob from Den for 2h from 127.0.0.1", r)
	}
	apptest.Eventually(t, "/metrics counts the three logins", func() bool {
		return strings.Contains(metricsText(t, addrs["metrics"]), "\nchatserver_logins_total 3\n")
	})

	writeFile(t, motd, "Welcome, v2\nmind the ban list\n")
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, recs, "motd file reloaded, changed")
	for _, c := range []*apptest.Client{alice, bob, carol} { // all still there
		c.Send("/motd")
		c.Until("<system> Welcome, v2")
		c.Expect("<system> mind the ban list")
	}
	dave := apptest.Dial(t, addrs["telnet"])
	dave.Welcome()
	dave.Send("dave")
	dave.Expect("<system> Logging in as dave", "<system> Welcome, v2", "<system> mind the ban list")
	apptest.Eventually(t, "/metrics counts 4 users online on telnet after the reload", func() bool {
		return strings.Contains(metricsText(t, addrs["metrics"]), "\nchatserver_users_online{door=\"telnet\"} 4\n")
	})

	interruptServe(t, cmd, alice)
}
