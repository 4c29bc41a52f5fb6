package app_test

import (
	"strings"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
)

// TestSlowClientsLogged: while the slow-client counts grow, Run logs them
// (once for each growth, not at every look), and their totals at shutdown.
func TestSlowClientsLogged(t *testing.T) {
	a, out, stop := runLogged(t, apptest.Config(t), func(a *app.App) { a.SetSlowEvery(time.Millisecond) })
	slow := a.Hub().SlowClients()
	slow.CountCut() // as a door does when it cuts a client
	out.WaitFor(t, "level=WARN", "slow clients", "dropped_lines=0", "cut=1", "queued_bytes=")
	slow.CountCut()
	out.WaitFor(t, "level=WARN", "slow clients", "cut=2")
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := out.Lines("slow clients"); len(got) != 3 || !strings.Contains(got[2], "level=INFO") || !strings.Contains(got[2], "cut=2") {
		t.Errorf("slow clients lines = %q, want each growth once and the totals at shutdown", got)
	}
}
