package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"chatserver/app/apptest"
)

// logsUntil returns the records of recs up to and with the first whose
// message is msg, failing the test if none comes within apptest.Wait.
func logsUntil(t *testing.T, recs <-chan map[string]any, msg string) []map[string]any {
	t.Helper()
	var got []map[string]any
	deadline := time.After(apptest.Wait)
	for {
		select {
		case rec, ok := <-recs:
			if !ok {
				t.Fatalf("the server's log ended before %q", msg)
			}
			got = append(got, rec)
			if rec["msg"] == msg {
				return got
			}
		case <-deadline:
			t.Fatalf("no log record %q within %v", msg, apptest.Wait)
		}
	}
}

// TestReloadConfigOnSIGHUP runs chatserver serve with a config file,
// changes the file's MOTD file, a limit, the log level and a setting that
// needs a restart, and sends SIGHUP: the connected user stays, the next
// login gets the new MOTD, each change is logged, the one that needs a
// restart as such. A broken config file then is logged, and the settings
// stay as they were.
func TestReloadConfigOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	t.Parallel()
	dir := t.TempDir()
	config, motd1, motd2 := filepath.Join(dir, "chatserver.toml"), filepath.Join(dir, "motd1"), filepath.Join(dir, "motd2")
	writeFile(t, motd1, "Hello v1\n")
	writeFile(t, motd2, "Hello v2\n")
	writeFile(t, config, "log_format = 'json'\nflood_rate = 0\nmotd_file = '"+motd1+"'\n")
	cmd, recs, addrs := startServe(t, nil, "--config", config, "--telnet-addr", "127.0.0.1:0", "--ssh-addr", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "data"))

	anna := apptest.Dial(t, addrs["telnet"])
	anna.Welcome()
	anna.Send("anna")
	anna.Expect("<system> Logging in as anna", "<system> Hello v1", "<helperbot> anna has joined the chat room!")

	writeFile(t, config, "log_format = 'json'\nflood_rate = 0\nmotd_file = '"+motd2+"'\nmax_conns_per_ip = 50\nroom_expiry = '1h'\nlog_level = 'warn'\n")
	cmd.Process.Signal(syscall.SIGHUP)
	changed := map[string]string{}
	for _, rec := range logsUntil(t, recs, "limits changed") {
		switch rec["msg"] {
		case "setting changed":
			changed[rec["key"].(string)] = rec["new"].(string)
		case "setting changed, needs a restart":
			changed[rec["key"].(string)] = "restart"
		case "config not reloaded, the old settings stay":
			t.Fatalf("config not reloaded: %v", rec)
		}
	}
	want := map[string]string{"motd_file": motd2, "max_conns_per_ip": "50", "room_expiry": "restart", "log_level": "warn"}
	for k, v := range want {
		if changed[k] != v {
			t.Errorf("after SIGHUP, %s logged as %q, want %q (logged: %v)", k, changed[k], v, changed)
		}
	}
	bob := apptest.Dial(t, addrs["telnet"])
	bob.Welcome()
	bob.Send("bob")
	bob.Expect("<system> Logging in as bob", "<system> Hello v2", "<helperbot> bob has joined the chat room!")
	anna.Expect("<helperbot> bob has joined the chat room!")

	writeFile(t, config, "log_format = 'json'\nmotd_file = '"+motd1+"'\nmotd = 'typo'\n")
	cmd.Process.Signal(syscall.SIGHUP)
	rec := waitLog(t, recs, "config not reloaded, the old settings stay")
	if err, _ := rec["err"].(string); err != "config file "+config+`: unknown key "motd"` {
		t.Errorf("config not reloaded: err %q, want the file and the key", err)
	}
	anna.Send("/motd")
	anna.Expect("<system> Hello v2")
	anna.Quiet()

	interruptServe(t, cmd, anna)
}
