package app_test

import (
	"fmt"
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/cluster/clustertest"
)

// TestClusterHistoryLaterDoors: lines said on node a before node c
// started are, on c, in an SSH screen's scrollback and in a JSON lines
// bot's /history, in the order said: the history comes from the cluster
// whichever door reads it (TestClusterLinesHistory reads it over telnet).
func TestClusterHistoryLaterDoors(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	sam := apptest.Login(t, startLinesNode(t, c, "a", "").Telnet, "sam")
	for k := range 3 {
		sam.Send(fmt.Sprintf("note %d", k))
	}
	expectNotes(t, sam, "sam's")

	later := startLinesNode(t, c, "c", "")
	scr := apptest.DialScreen(t, later.SSH, "dora", apptest.NewKey(t), 100, 30)
	scr.WaitFor("sam's notes in dora's scrollback, in order", func(text string) bool {
		at := -1
		for k := range 3 {
			i := strings.Index(text, fmt.Sprintf("sam: note %d", k))
			if i <= at {
				return false
			}
			at = i
		}
		return true
	})

	bot := loginBot(t, later.SSH, "botty", apptest.NewKey(t))
	bot.Send("/history")
	for k := range 3 {
		l := untilJSON(t, bot, func(l apptest.JSONLine) bool { return l.History })
		if l.Type != "message" || l.Room != "chat" || l.From != "sam" || l.Text != fmt.Sprintf("note %d", k) {
			t.Fatalf("the bot's history line %d = %s, want sam's note %d", k, l.Raw, k)
		}
	}
}
