package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// TestNamesRelease: chatserver names release is refused while the server
// runs; once it is stopped it frees a name protected by a password and
// one owned by a key, which anyone may then take, and leaves the others
// protected.
func TestNamesRelease(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	mike := apptest.Login(t, srv.Telnet, "mike")
	mike.Send("/password hunter2hunter2")
	mike.Expect("<system> Your name is now protected by a password.")
	for _, name := range []string{"anna", "bert"} {
		c := apptest.LoginSSH(t, srv.SSH, name, apptest.NewKey(t))
		c.Send("/leave")
		c.Until("<system> Leaving chat room.")
	}
	if _, err := run(t, "names", "release", "--data-dir", cfg.DataDir, "mike"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("release while the server runs = %v, want refused: in use", err)
	}
	srv.Stop(t)

	for _, tc := range []struct{ name, want string }{
		{"MIKE", "released MIKE: anyone may now take it\n"},
		{"anna", "released anna: anyone may now take it\n"},
		{"nobody", "nobody was not protected; nothing is kept for it\n"},
	} {
		out, err := run(t, "names", "release", "--data-dir", cfg.DataDir, tc.name)
		if err != nil || out != tc.want {
			t.Errorf("release %s = %q, %v; want %q", tc.name, out, err, tc.want)
		}
	}
	if _, err := run(t, "names", "release", "--data-dir", cfg.DataDir, "no/name"); err == nil {
		t.Errorf("release of a name nobody could have: no error")
	}

	// An operator's act on the database is in the audit log, as a
	// moderator's is: the two names that were released, not the one that
	// was not protected.
	out, err := run(t, "audit", "--data-dir", cfg.DataDir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var released []string
	for line := range strings.Lines(out) {
		var r chat.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if r.Action == chat.AuditReleaseName {
			if r.Actor == "" || r.ActorAddr != chat.AuditLocal {
				t.Errorf("release record %+v: want an actor and address %q", r, chat.AuditLocal)
			}
			released = append(released, r.Target)
		}
	}
	if want := []string{"MIKE", "anna"}; !slices.Equal(released, want) {
		t.Errorf("audit log's released names %q, want %q", released, want)
	}

	srv = apptest.Start(t, cfg)
	apptest.Login(t, srv.Telnet, "mike")
	apptest.LoginSSH(t, srv.SSH, "anna", apptest.NewKey(t))
	c := apptest.Dial(t, srv.Telnet)
	c.Welcome()
	c.Send("bert")
	c.Expect("<system> " + chat.TextPasswordPrompt)
}
