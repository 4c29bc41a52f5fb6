package app_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"chatserver/app"
	"chatserver/app/apptest"
)

// TestMOTDLines: the message of the day on both doors, after "Logging in
// as" and before the join line, sanitised, at most 20 lines; /motd shows it
// again; without a file, /motd says there is none.
func TestMOTDLines(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.MOTDFile = filepath.Join(t.TempDir(), "motd")
	text := "Welcome to \x1b[1mthe\x1b[0m server!\r\n\n   \nBe nice.\n" + strings.Repeat("more\n", 30)
	if err := os.WriteFile(cfg.MOTDFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, cfg)
	motd := []string{"<system> Welcome to the server!", "<system> Be nice."}
	for range 18 {
		motd = append(motd, "<system> more")
	}
	c := apptest.Dial(t, srv.Telnet)
	c.Welcome()
	c.Send("anna")
	c.Expect("<system> Logging in as anna")
	c.Expect(motd...)
	c.Expect(joinLine("anna"))
	c.Send("/motd")
	c.Expect(motd...)

	s := apptest.DialSSHLines(t, srv.SSH, "bert", nil)
	s.Expect("<system> Welcome to the chat room!", "<system> Logging in as bert")
	s.Expect(motd...)
	s.Expect(joinLine("bert"))
	c.Expect(joinLine("bert"))
	allQuiet(c, s.Client)

	plain := startNoFlood(t)
	d := apptest.Login(t, plain.Telnet, "carl")
	d.Send("/motd")
	d.Expect("<system> There is no message of the day.")
}

// TestWhoisLines: /whois over telnet, each line where it applies; the
// address for operators only.
func TestWhoisLines(t *testing.T) {
	t.Parallel()
	opKey, key := apptest.NewKey(t), apptest.NewKey(t)
	srv := apptest.Start(t, opsConfig(t, opKey))
	anna := apptest.Login(t, srv.Telnet, "anna")
	enter(anna, "anna", "Beta")
	enter(anna, "anna", "Alpha")
	anna.Send("/away lunch")
	anna.Expect("<system> You're now marked as away: lunch")
	bert := apptest.LoginSSH(t, srv.SSH, "bert", key)
	root := apptest.LoginSSH(t, srv.SSH, "root", opKey)
	bert.Expect(joinLine("root"))

	first := func(name, room, door string) *regexp.Regexp {
		return regexp.MustCompile(`^<system> ` + name + `: in '` + room + `' via ` + door +
			`, online for (\d+s|\d+m\d\ds), idle (\d+s|\d+m\d\ds)$`)
	}
	bert.Send("/whois ANNA")
	if got, want := bert.Next(), first("anna", "Alpha", "telnet"); !want.MatchString(got) {
		t.Errorf("first line %q, want %s", got, want)
	}
	bert.Expect("<system> anna: away: lunch", "<system> anna: admin of 'Beta', 'Alpha'")
	root.Send("/whois anna")
	root.Next()
	root.Expect("<system> anna: away: lunch", "<system> anna: admin of 'Beta', 'Alpha'", "<system> anna: from 127.0.0.1")
	anna.Send("/whois bert")
	if got, want := anna.Next(), first("bert", "chat", "ssh"); !want.MatchString(got) {
		t.Errorf("first line %q, want %s", got, want)
	}
	anna.Expect("<system> bert: key " + fingerprint(key))
	anna.Send("/whois root")
	anna.Next()
	anna.Expect("<system> root: key "+fingerprint(opKey), "<system> root: server operator")
	anna.Send("/whois nobody")
	anna.Expect("<system> Could not find someone with that username.")
	anna.Send("/whois")
	anna.Expect("<system> Please specify a username.")
	allQuiet(anna, bert.Client, root.Client)
}

// TestSettingsFilesAtStart: an operators file or a MOTD file that cannot
// be read or parsed stops the start with an error that names it.
func TestSettingsFilesAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ops, motd, want string
	}{
		{"missing ops file", filepath.Join(dir, "none"), "", "ops file " + filepath.Join(dir, "none") + ": no such file"},
		{"bad ops file", bad, "", "ops file " + bad + ": line 1"},
		{"missing motd file", "", filepath.Join(dir, "none"), "motd file " + filepath.Join(dir, "none") + ": no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := apptest.Config(t)
			cfg.OpsFile, cfg.MOTDFile = tc.ops, tc.motd
			a, err := app.New(t.Context(), cfg)
			if err == nil {
				a.Run(canceled(t))
				t.Fatal("app.New did not fail")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("app.New: %v, want %q in it", err, tc.want)
			}
		})
	}
}

// canceled returns a context that is done already.
func canceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
