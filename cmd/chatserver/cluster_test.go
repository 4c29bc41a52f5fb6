package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
)

// TestClusterFlags: serve's cluster settings come from the command line,
// the environment and the config file by the one rule of every setting.
func TestClusterFlags(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "chatserver.toml")
	file := "nats = ['nats://n1:4222', 'nats://n2:4222']\nnats_creds = '/etc/chat.creds'\nnats_tls_ca = '/etc/ca.pem'\n" +
		"nats_tls_cert = '/etc/cert.pem'\nnats_tls_key = '/etc/key.pem'\nnode_name = 'from-file'\nnats_name_ttl = '5s'\nnats_replicas = 1\n"
	if err := os.WriteFile(config, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CHATSERVER_NATS": "nats://e1:4222,nats://e2:4222", "CHATSERVER_NATS_REPLICAS": "3"}
	var f serveFlags
	fs := serveFlagSet(&f)
	if err := fs.Parse([]string{"--config", config, "--node-name", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if _, err := (settings{fs: fs, lookupEnv: lookup}).resolve(); err != nil {
		t.Fatal(err)
	}
	want := app.NATS{
		URLs: []string{"nats://e1:4222", "nats://e2:4222"}, Creds: "/etc/chat.creds",
		TLS:  app.NATSTLS{CA: "/etc/ca.pem", Cert: "/etc/cert.pem", Key: "/etc/key.pem"},
		Node: "from-flag", NameTTL: 5 * time.Second, Replicas: 3,
	}
	if got := f.nats; !slices.Equal(got.URLs, want.URLs) || got.Creds != want.Creds || got.TLS != want.TLS ||
		got.Node != want.Node || got.NameTTL != want.NameTTL || got.Replicas != want.Replicas {
		t.Errorf("cluster settings = %+v, want %+v", got, want)
	}

	var none serveFlags // no --nats: a single node
	if err := serveFlagSet(&none).Parse(nil); err != nil || len(none.nats.URLs) != 0 {
		t.Errorf("without --nats the URLs are %q (%v), want none", none.nats.URLs, err)
	}
}

// serveFails runs chatserver serve with args in a process of its own and
// returns what it wrote to stderr, failing the test unless it ended with
// status 1.
func serveFails(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+strings.Join(append([]string{"serve"}, args...), "\n"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("chatserver serve ended with %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	return strings.TrimSuffix(stderr.String(), "\n")
}

// TestServeClusterUnreachable: serve --nats with no NATS server there
// prints one line naming the URLs and exits with status 1, leaving the
// data folder free.
func TestServeClusterUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Parallel()
	data := t.TempDir()
	out := serveFails(t, "--nats", "nats://127.0.0.1:1,nats://127.0.0.1:2", "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "127.0.0.1:0",
		"--data-dir", data, "--max-conns", "100")
	if strings.Contains(out, "\n") || !strings.HasPrefix(out, "chatserver: ") || !strings.Contains(out, "nats://127.0.0.1:1,nats://127.0.0.1:2") {
		t.Errorf("stderr = %q, want one line chatserver: … naming the URLs", out)
	}
}

// TestServeNodeNameTaken: a second node started with the --node-name of
// a node alive is refused with one line and status 1; once the first has
// stopped, a node of that name starts.
func TestServeNodeNameTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Parallel()
	c := clustertest.Start(t, 3)
	args := func(level string) []string {
		return []string{"--nats", c.URL(), "--node-name", "chat1", "--nats-name-ttl", "2s", "--telnet-addr", "127.0.0.1:0",
			"--ssh-addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--max-conns", "100", "--log-level", level, "--log-format", "json"}
	}
	first, recs, addrs := startServe(t, nil, args("info")...)
	apptest.Login(t, addrs["telnet"], "anna")

	out := serveFails(t, args("warn")...)
	if strings.Contains(out, "\n") || !strings.HasPrefix(out, "chatserver: ") || !strings.Contains(out, "chat1") ||
		!strings.Contains(out, "another node of this name is alive") {
		t.Errorf("stderr = %q, want one line chatserver: … saying chat1 is alive", out)
	}

	first.Process.Signal(os.Interrupt)
	waitLog(t, recs, "stopped")
	second, recs, _ := startServe(t, nil, args("info")...)
	second.Process.Signal(os.Interrupt)
	waitLog(t, recs, "stopped")
}
