package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
)

// auditJSON runs chatserver audit --json with args and returns the records.
func auditJSON(t *testing.T, args ...string) []chat.AuditRecord {
	t.Helper()
	out, err := run(t, append([]string{"audit", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("chatserver audit %q: %v\n%s", args, err, out)
	}
	var recs []chat.AuditRecord
	for line := range strings.Lines(out) {
		var r chat.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("chatserver audit --json printed %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// actions returns the action of each record, in order.
func actions(recs []chat.AuditRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Action+" "+r.Target)
	}
	return out
}

// TestAuditLog: a kick, a ban for an hour, a mute and an op made over SSH
// by the room's creator, and a password set over telnet, against the real
// server, are read back with chatserver audit --json while the server
// runs: with who did them (name, key, address), to whom, where and with
// what; the filters select by room, actor and time; the password is
// nowhere in the database's files.
func TestAuditLog(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	key := apptest.NewKey(t)
	alice := apptest.LoginSSH(t, srv.SSH, "alice", key)
	alice.Send("/switch Den")
	alice.Until("<system> Switched to room 'Den'")
	bob := apptest.Login(t, srv.Telnet, "bob")
	bob.Send("/switch Den")
	bob.Until("<system> Switched to room 'Den'")
	carol := apptest.Login(t, srv.Telnet, "carol")
	carol.Send("/switch den")
	carol.Until("<system> Switched to room 'Den'")
	erin := apptest.Login(t, srv.Telnet, "erin")

	alice.Send("/kick bob")
	alice.Until("<helperbot> bob was kicked from 'Den'.")
	alice.Send("/ban carol 1h")
	alice.Until("<helperbot> carol is banned from 'Den' for 1h.")
	alice.Send("/mute dave")
	alice.Until("<helperbot> dave is muted in 'Den'.")
	alice.Send("/op erin")
	alice.Until("<helperbot> erin is now an admin of 'Den'.")
	alice.Send("/op erin") // an admin already: no act, no record
	alice.Until("<helperbot> erin is already an admin of 'Den'.")
	const password = "correct-horse-battery"
	erin.Send("/password " + password)
	erin.Until("<system> Your name is now protected by a password.")

	t.Setenv("CHATSERVER_DATA_DIR", cfg.DataDir)
	recs := auditJSON(t)
	want := []string{"kick bob", "ban carol", "mute dave", "op erin", "password erin"}
	if got := actions(recs); !slices.Equal(got, want) {
		t.Fatalf("chatserver audit --json: %q, want %q", got, want)
	}
	fp := gossh.FingerprintSHA256(key.PublicKey())
	for i, args := range []string{"", "for 1h", "for good", "", "set"} {
		r := recs[i]
		actor, actorKey, room := "alice", fp, "Den"
		if r.Action == chat.AuditPassword {
			actor, actorKey, room = "erin", "", ""
		}
		if r.Actor != actor || r.ActorKey != actorKey || !strings.HasPrefix(r.ActorAddr, "127.0.0.1:") || r.Room != room || r.Args != args || r.Time.IsZero() {
			t.Errorf("record %d = %+v, want actor %s key %q from 127.0.0.1, room %q, args %q", i, r, actor, actorKey, room, args)
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"room", []string{"--room", "den"}, want[:4]},
		{"another room", []string{"--room", "chat"}, nil},
		{"actor", []string{"--actor", "ERIN"}, want[4:]},
		{"room and actor", []string{"--room", "Den", "--actor", "alice"}, want[:4]},
		{"since", []string{"--since", "1h"}, want},
		{"since in days", []string{"--since", "7d"}, want},
		{"data dir flag", []string{"--data-dir", cfg.DataDir, "--actor", "alice"}, want[:4]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := actions(auditJSON(t, tc.args...)); !slices.Equal(got, tc.want) {
				t.Errorf("chatserver audit --json %q: %q, want %q", tc.args, got, tc.want)
			}
		})
	}
	if _, err := run(t, "audit", "--since", "soon"); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("chatserver audit --since soon = %v, want an error naming --since", err)
	}

	out, err := run(t, "audit", "--actor", "alice")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.Contains(lines[2], "ban") || !strings.Contains(lines[2], fp) || !strings.Contains(lines[2], "for 1h") {
		t.Errorf("chatserver audit printed\n%s\nwant a header and 4 rows, the ban second", out)
	}

	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, app.DBFile+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the password", app.DBFile+suffix)
		}
	}
}
