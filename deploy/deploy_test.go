// Package deploy holds chatserver's container image and systemd unit; its
// tests keep what each must have from drifting silently.
package deploy

import (
	"bufio"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"chatserver/app/metrics"
)

// unit is a systemd unit file: section → key → its values, in order.
type unit map[string]map[string][]string

// parseUnit reads a unit file: [Section] headers, Key=Value lines, '#' and
// ';' comments. Continuation lines are not used in ours and not supported.
func parseUnit(t *testing.T, file string) unit {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: not a Key=Value line of a section: %q", file, n, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// last is the value that counts for a key set more than once.
func (u unit) last(section, key string) (string, bool) {
	vs := u[section][key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// TestServiceUnit: chatserver.service has what issue 13 and a network
// daemon need; and systemd-analyze verify accepts it where it is installed.
func TestServiceUnit(t *testing.T) {
	u := parseUnit(t, "chatserver.service")
	for _, tc := range []struct{ key, want string }{
		{"Type", "exec"},
		{"DynamicUser", "yes"},
		{"StateDirectory", "chatserver"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"PrivateDevices", "yes"},
		{"NoNewPrivileges", "yes"},
		{"CapabilityBoundingSet", ""},
		{"AmbientCapabilities", ""},
		{"RestrictAddressFamilies", "AF_INET AF_INET6"},
		{"Restart", "on-failure"},
		{"ExecReload", "/bin/kill -HUP $MAINPID"},
		{"ExecStart", "/usr/local/bin/chatserver serve --data-dir %S/chatserver"},
	} {
		if got, ok := u.last("Service", tc.key); !ok || got != tc.want {
			t.Errorf("[Service] %s=%q (set: %v), want %q", tc.key, got, ok, tc.want)
		}
	}
	// Two doors of 50000 connections each (--max-conns), and the files
	// of the store.
	lim, _ := u.last("Service", "LimitNOFILE")
	if n, err := strconv.Atoi(lim); err != nil || n < 2*50000+1000 {
		t.Errorf("[Service] LimitNOFILE=%q, want at least %d", lim, 2*50000+1000)
	}
	if got, _ := u.last("Install", "WantedBy"); got != "multi-user.target" {
		t.Errorf("[Install] WantedBy=%q, want multi-user.target", got)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: unit not verified by systemd")
		return
	}
	// verify checks that ExecStart names an executable: this test's own.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("chatserver.service")
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), "chatserver.service")
	if err := os.WriteFile(copied, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/chatserver", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), analyze, "verify", copied).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, USER…
	args string
}

// parseDockerfile returns the instructions before the first FROM (global
// ARGs) and those of each stage, FROM first.
func parseDockerfile(t *testing.T, file string) (global []instruction, stages [][]instruction) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cur strings.Builder
	add := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		switch {
		case in.cmd == "FROM":
			stages = append(stages, []instruction{in})
		case len(stages) == 0:
			global = append(global, in)
		default:
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if l, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		add()
	}
	add()
	return global, stages
}

// find returns the args of every cmd instruction of a stage.
func find(stage []instruction, cmd string) []string {
	var args []string
	for _, in := range stage {
		if in.cmd == cmd {
			args = append(args, in.args)
		}
	}
	return args
}

// TestDockerfile: the builder uses go.mod's Go without cgo; the final
// stage runs as a non-root user with the /data volume, the two doors'
// ports, the health check and chatserver serve on /data.
func TestDockerfile(t *testing.T) {
	global, stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a final one", len(stages))
	}

	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(mod)
	if tc := regexp.MustCompile(`(?m)^toolchain go(\S+)`).FindSubmatch(mod); tc != nil {
		goVersion = tc
	}
	if want := "GO_VERSION=" + string(goVersion[1]); !slices.Contains(find(global, "ARG"), want) {
		t.Errorf("Dockerfile's global ARGs %q, want %s (go.mod's Go)", find(global, "ARG"), want)
	}
	build := stages[0]
	if from := build[0].args; !strings.HasPrefix(from, "golang:${GO_VERSION}") {
		t.Errorf("builder FROM %s, want golang:${GO_VERSION}…", from)
	}
	if env := strings.Join(find(build, "ENV"), " "); !strings.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("builder ENV %q, want CGO_ENABLED=0: the final stage has no C library", env)
	}

	final := stages[len(stages)-1]
	users := find(final, "USER")
	if len(users) == 0 {
		t.Errorf("final stage has no USER: it runs as root")
	} else if u, _, _ := strings.Cut(users[len(users)-1], ":"); u == "root" || u == "0" {
		t.Errorf("final stage USER %s: root", users[len(users)-1])
	}
	if v := strings.Join(find(final, "VOLUME"), " "); !strings.Contains(v, `"/data"`) && !slices.Contains(strings.Fields(v), "/data") {
		t.Errorf("final stage VOLUME %q, want /data", v)
	}
	ports := strings.Fields(strings.Join(find(final, "EXPOSE"), " "))
	for _, p := range []string{"8999", "2222"} {
		if !slices.Contains(ports, p) {
			t.Errorf("final stage EXPOSE %q, want %s", ports, p)
		}
	}
	if hc := find(final, "HEALTHCHECK"); len(hc) != 1 || !strings.Contains(hc[0], `CMD ["/chatserver", "health"`) {
		t.Errorf("final stage HEALTHCHECK %q, want CMD [\"/chatserver\", \"health\", …]", hc)
	}
	if ep := find(final, "ENTRYPOINT"); len(ep) != 1 || ep[0] != `["/chatserver"]` {
		t.Errorf("final stage ENTRYPOINT %q, want [\"/chatserver\"]", ep)
	}
	if cmd := find(final, "CMD"); len(cmd) != 1 || cmd[0] != `["serve"]` {
		t.Errorf("final stage CMD %q, want [\"serve\"]", cmd)
	}
	if env := strings.Fields(strings.Join(find(final, "ENV"), " ")); !slices.Contains(env, "CHATSERVER_DATA_DIR=/data") {
		t.Errorf("final stage ENV %q, want CHATSERVER_DATA_DIR=/data", env)
	}
	if runs := find(final, "RUN"); len(runs) > 0 {
		t.Errorf("final stage RUNs %q: it has no shell", runs)
	}

	// One metrics port in every story: the image's, the one it exposes,
	// the one its health check asks, chatserver health's default and the
	// README's.
	_, port, _ := net.SplitHostPort(metrics.DefaultAddr)
	if env := strings.Fields(strings.Join(find(final, "ENV"), " ")); !slices.Contains(env, "CHATSERVER_METRICS_ADDR=0.0.0.0:"+port) {
		t.Errorf("final stage ENV %q, want CHATSERVER_METRICS_ADDR=0.0.0.0:%s (chatserver health's default port)", env, port)
	}
	if !slices.Contains(ports, port) {
		t.Errorf("final stage EXPOSE %q, want the metrics port %s", ports, port)
	}
	if hc := find(final, "HEALTHCHECK"); len(hc) == 1 && strings.Contains(hc[0], "--addr") {
		t.Errorf("final stage HEALTHCHECK %q: health finds the address in CHATSERVER_METRICS_ADDR; a second copy drifts", hc)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range regexp.MustCompile(`(?:metrics|:|-p )[^\n]{0,40}?\b(9\d{3})\b`).FindAllSubmatch(readme, -1) {
		if string(n[1]) != port && string(n[1]) != "8999" {
			t.Errorf("README names metrics port %s in %q, want %s", n[1], n[0], port)
		}
	}
}

// TestDockerignore: .dockerignore leaves out nothing the build needs:
// go.mod, go.sum and every folder of Go code but test data.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && line != "**/testdata" {
			patterns = append(patterns, strings.Trim(line, "/"))
		}
	}
	ignored := func(p string) bool {
		for ; p != "."; p = path.Dir(p) {
			for _, pat := range patterns {
				if ok, _ := path.Match(pat, p); ok {
					return true
				}
			}
		}
		return false
	}
	need := []string{"go.mod", "go.sum"}
	root := os.DirFS("..")
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != ".") {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			need = append(need, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range need {
		if ignored(p) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", p)
		}
	}
}
