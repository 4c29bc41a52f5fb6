package app_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// TestLongNameLoggedShort logs in over SSH with a 30 KB user name: the log
// lines about it carry 64 bytes of it and its length, not the whole name.
func TestLongNameLoggedShort(t *testing.T) {
	cfg := apptest.Config(t)
	log, out := apptest.NewLog()
	cfg.Logger = log
	srv := apptest.Start(t, cfg)
	name := strings.Repeat("x", 30<<10)
	c := apptest.DialSSHLines(t, srv.SSH, name, nil)
	apptest.ExitStatus(t, c.Session)
	out.WaitFor(t, `msg="login refused"`)
	short := `user="` + strings.Repeat("x", 64) + `…(30720 bytes)"`
	for _, msg := range []string{`msg="ssh session"`, `msg="login refused"`} {
		if got := out.Lines(msg, short); len(got) != 1 {
			t.Errorf("%d lines with %s and %s, want 1", len(got), msg, short)
		}
	}
	for _, line := range out.Lines(strings.Repeat("x", 65)) {
		t.Errorf("a log line carries more than 64 bytes of the name: %.200s…", line)
	}
}

// TestExecCommandLoggedShort: a command sent as an SSH exec request, which
// the server refuses, is logged by its first word only: a user who typed
// ssh host '/password …' leaves no password in the log.
func TestExecCommandLoggedShort(t *testing.T) {
	cfg := apptest.Config(t)
	log, out := apptest.NewLog()
	cfg.Logger = log
	srv := apptest.Start(t, cfg)
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sess.Output("/password hunter22secret"); !strings.Contains(string(got), "Unknown command") {
		t.Errorf("exec answered %q, want the unknown-command line", got)
	}
	line := out.WaitFor(t, `msg="command refused"`)
	if !strings.Contains(line, `command="/password …"`) {
		t.Errorf("refusal logged as %q, want the first word and an ellipsis", line)
	}
	if got := out.Lines("hunter22secret"); len(got) > 0 {
		t.Errorf("the password is in the log: %q", got)
	}
}
