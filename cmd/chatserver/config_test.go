package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"chatserver/app"
	"chatserver/app/apptest"
)

// TestConfigPrecedence starts chatserver serve with the MOTD file named in
// the config file, the environment and on the command line, in every
// combination that matters: the command line wins over the environment,
// which wins over the file, which wins over the default (none).
func TestConfigPrecedence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "chatserver.toml")
	if err := os.WriteFile(config, []byte("motd_file = '"+filepath.Join(dir, "from-file")+"'\nlog_format = 'json'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"from-file", "from-env", "from-flag"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		env, args []string
		want      string // the MOTD file loaded
	}{
		{"file env flag", []string{"CHATSERVER_CONFIG=" + config, "CHATSERVER_MOTD_FILE=" + filepath.Join(dir, "from-env")},
			[]string{"--motd-file", filepath.Join(dir, "from-flag")}, "from-flag"},
		{"file env", []string{"CHATSERVER_MOTD_FILE=" + filepath.Join(dir, "from-env")}, []string{"--config", config}, "from-env"},
		{"file", []string{"CHATSERVER_CONFIG=" + config}, nil, "from-file"},
		{"default", nil, []string{"--log-format", "json"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--telnet-addr", "127.0.0.1:0", "--ssh-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tc.args...)
			cmd, recs, addrs := startServe(t, tc.env, args...)
			c := apptest.Dial(t, addrs["telnet"])
			c.Welcome()
			c.Send("anna")
			want := []string{"<system> Logging in as anna"}
			if tc.want != "" {
				want = append(want, "<system> "+tc.want)
			}
			c.Expect(append(want, "<helperbot> anna has joined the chat room!")...)
			cmd.Process.Signal(os.Interrupt)
			waitLog(t, recs, "stopped")
		})
	}
}

// TestConfigErrors: an unknown key, a value of the wrong type or one that
// does not parse, and a file that is not TOML each stop chatserver serve
// with status 1 and one line that names the file and the key.
func TestConfigErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"unknown key", "motd_file = 'x'\nmotd = 'hello'\n", `unknown key "motd"`},
		{"wrong type", "max_conns = '10'\n", "key max_conns: want a number, not a string"},
		{"bad duration", "room_expiry = '3 days'\n", `key room_expiry: "3 days": time: unknown unit`},
		{"float for int", "flood_burst = 2.5\n", "key flood_burst: want an integer"},
		{"table", "[telnet_addr]\nport = 1\n", "key telnet_addr: want a string, not a table"},
		{"not toml", "telnet_addr = \n", "line 1 column"},
		{"overridden still checked", "telnet_addr = 23\n", "key telnet_addr: want a string, not an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			config := filepath.Join(dir, "chatserver.toml")
			if err := os.WriteFile(config, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			out := serveFails(t, "--config", config, "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
			wantPrefix := "chatserver: config file " + config + ": "
			if strings.Contains(out, "\n") || !strings.HasPrefix(out, wantPrefix) || !strings.Contains(out, tc.want) {
				t.Errorf("stderr = %q, want one line starting %q containing %q", out, wantPrefix, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
				t.Errorf("the data folder was made: the server started")
			}
		})
	}
}

// TestConfigExample: chatserver config example names every serve flag but
// --config, with its environment variable, and the file it prints loads
// and sets every flag to its default.
func TestConfigExample(t *testing.T) {
	t.Parallel()
	root := newRoot(nil)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"config", "example"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	fs := serveFlagSet(&serveFlags{})
	if err := loadConfig(fs, "example.toml", out.Bytes()); err != nil {
		t.Fatalf("the example does not load: %v\n%s", err, out.String())
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag {
			return
		}
		if !strings.Contains(out.String(), "\n"+fileKey(f.Name)+" = ") || !strings.Contains(out.String(), envName(f.Name)) {
			t.Errorf("config example has no key %s or no %s:\n%s", fileKey(f.Name), envName(f.Name), out.String())
		}
		if !f.Changed {
			t.Errorf("config example does not set %s", fileKey(f.Name))
		}
		if got := f.Value.String(); got != f.DefValue {
			t.Errorf("config example sets %s to %q, want its default %q", fileKey(f.Name), got, f.DefValue)
		}
	})
}

// TestHelpShowsEnv: every flag of every command says its environment
// variable in its help.
func TestHelpShowsEnv(t *testing.T) {
	t.Parallel()
	root := newRoot(nil)
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !strings.HasSuffix(f.Usage, "[$"+flagEnv(f)+"]") {
				t.Errorf("chatserver %s --%s: usage %q does not name %s", c.CommandPath(), f.Name, f.Usage, flagEnv(f))
			}
		})
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
}

// TestEnvNames: serve's settings and every command's --data-dir share
// one variable (CHATSERVER_<FLAG>), so that one environment serves the
// server and the commands run beside it; another command's flag has a
// variable of its own, named for the command, so that setting health's
// address does not move bench's, nor audit's --room bench's room.
func TestEnvNames(t *testing.T) {
	t.Parallel()
	root := newRoot(nil)
	for _, tc := range []struct {
		path []string
		flag string
		want string
	}{
		{[]string{"serve"}, "telnet-addr", "CHATSERVER_TELNET_ADDR"},
		{[]string{"serve"}, "metrics-addr", "CHATSERVER_METRICS_ADDR"},
		{[]string{"serve"}, "data-dir", "CHATSERVER_DATA_DIR"},
		{[]string{"audit"}, "data-dir", "CHATSERVER_DATA_DIR"},
		{[]string{"names", "release"}, "data-dir", "CHATSERVER_DATA_DIR"},
		{[]string{"health"}, "addr", "CHATSERVER_HEALTH_ADDR"},
		{[]string{"bench"}, "addr", "CHATSERVER_BENCH_ADDR"},
		{[]string{"bench"}, "room", "CHATSERVER_BENCH_ROOM"},
		{[]string{"audit"}, "room", "CHATSERVER_AUDIT_ROOM"},
	} {
		c, _, err := root.Find(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		f := c.Flags().Lookup(tc.flag)
		if f == nil {
			t.Fatalf("chatserver %s has no --%s", c.CommandPath(), tc.flag)
		}
		if got := flagEnv(f); got != tc.want {
			t.Errorf("%s --%s: variable %s, want %s", c.CommandPath(), tc.flag, got, tc.want)
		}
	}
}

// FuzzLoadConfig: no bytes make loading a config file panic, and every
// error names the file.
func FuzzLoadConfig(f *testing.F) {
	var example bytes.Buffer
	if err := configExample(&example, serveFlagSet(&serveFlags{})); err != nil {
		f.Fatal(err)
	}
	f.Add(example.Bytes())
	f.Add([]byte("plugins = ['helperbot', 'hellobot']\nflood_rate = 0\nroom_expiry = '1h'\n"))
	f.Add([]byte("[a.b]\nc = 1979-05-27T07:32:00Z\n"))
	f.Add([]byte("max_conns = 1e3\nnope = true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := loadConfig(serveFlagSet(&serveFlags{}), "fuzz.toml", b); err != nil && !strings.Contains(err.Error(), "config file fuzz.toml: ") {
			t.Errorf("loadConfig(%q) = %v, want an error naming the file", b, err)
		}
	})
}

// TestEverySettingHasAFlag: every setting of app.Config is a serve flag
// (kebab-case of its field's name; a field of a struct field is the
// struct's flag name, '-', its own: NATS.TLS.CA is --nats-tls-ca), and so
// has a variable and a config file key: an operator can reach each setting
// the server has.
func TestEverySettingHasAFlag(t *testing.T) {
	t.Parallel()
	notSettings := map[string]bool{"Logger": true, "Store": true, "Now": true} // given by the program and tests
	// Settings whose flag operators know by another name than the rule's.
	renamed := map[string]string{"NATS.URLs": "nats", "NATS.Node": "node-name"}
	fs := serveFlagSet(&serveFlags{})
	var walk func(typ reflect.Type, path, prefix string)
	walk = func(typ reflect.Type, path, prefix string) {
		for f := range typ.Fields() {
			p, name := path+f.Name, prefix+kebab(f.Name)
			if notSettings[p] {
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, p+".", name+"-")
				continue
			}
			if r, ok := renamed[p]; ok {
				name = r
			}
			if fs.Lookup(name) == nil {
				t.Errorf("app.Config.%s has no serve flag --%s", p, name)
			}
		}
	}
	walk(reflect.TypeFor[app.Config](), "", "")
}

// kebab is a Go name in kebab case: MaxConnsPerIP is max-conns-per-ip,
// MOTDFile motd-file.
func kebab(name string) string {
	var b strings.Builder
	r := []rune(name)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if i > 0 && upper && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
