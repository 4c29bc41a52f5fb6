package sshd_test

import (
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"

	"chatserver/app/apptest"
)

// TestUIAwayDimmedAndTabAnyRoom: over real SSH with a pty, a user who is
// away is dimmed in the users pane with the reason; Tab after "/w " and
// "/whois " completes the name of a user in another room, and the
// whisper reaches them.
func TestUIAwayDimmedAndTabAnyRoom(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	carol := apptest.Login(t, srv.Telnet, "carol")
	carol.Send("/switch games")
	carol.Expect("<system> Switched to room 'games'", "<helperbot> carol has joined the chat room!")
	alice := apptest.Login(t, srv.Telnet, "alice")
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("Users (2)")
	alice.Expect("<helperbot> mike has joined the chat room!")

	alice.Send("/away tea")
	alice.Expect("<system> You're now marked as away: tea")
	mike.WaitFor("alice away in the users pane", func(text string) bool {
		_, _, users := panes(strings.Split(text, "\n"), 24)
		return has(users, "alice (tea)")
	})
	x, y, _ := mike.Find("alice (tea)")
	if st := mike.Style(x, y); st.Attrs&uv.AttrFaint == 0 {
		t.Errorf("alice (tea) is drawn in %+v, want dimmed", st)
	}

	mike.Type("/whois ca\t")
	mike.WaitText("> /whois carol")
	mike.Type("\x15") // Ctrl+U: the line emptied
	mike.WaitFor("an empty input line", func(string) bool { return !strings.Contains(mike.Lines()[23], "whois") })
	mike.Type("/w ca\t")
	mike.WaitText("> /w carol")
	mike.Type("psst\r")
	carol.Expect("<helperbot> mike whispered to you: psst")
	mike.WaitText("you whispered to carol: psst")
	if why := clean(mike.Text(), 80, 24, "mike", "chat"); why != "" {
		t.Errorf("screen not clean: %s\n%s", why, mike.Text())
	}
}
