package sshd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"

	"chatserver/app/apptest"
)

// loginPast logs name in on the telnet door at addr and reads everything
// up to the user's own join line (the MOTD and a topic among it).
func loginPast(t *testing.T, addr, name string) *apptest.Client {
	t.Helper()
	c := apptest.Dial(t, addr)
	c.Welcome()
	c.Send(name)
	c.Until("<helperbot> " + name + " has joined the chat room!")
	return c
}

// usersRow returns the users pane's row that holds name, as drawn (mark
// included), or "" if none does.
func usersRow(text, name string, h int) string {
	_, _, users := panes(strings.Split(text, "\n"), h)
	for _, u := range users {
		if s := strings.TrimLeft(u, "~@-"); s == name || strings.HasPrefix(s, name+"*") || strings.HasPrefix(s, name+" ") {
			return u
		}
	}
	return ""
}

// userCell returns the column and row of name's first cell in the users
// pane of scr, h rows high.
func userCell(t *testing.T, scr *apptest.Screen, name string, h int) (x, y int) {
	t.Helper()
	for i, l := range scr.Lines() {
		if i >= h-2 {
			break
		}
		if j := strings.LastIndex(l, "│"); j >= 0 {
			if k := strings.Index(l[j:], " "+name); k >= 0 {
				return ansi.StringWidth(l[:j+k+1]), i
			}
			if k := strings.Index(l[j:], name); k >= 0 {
				return ansi.StringWidth(l[:j+k]), i
			}
		}
	}
	t.Fatalf("%s is not in the users pane:\n%s", name, scr.Text())
	return 0, 0
}

// TestUIIssue11Screen: what issue 11 adds to the SSH UI, read off a real
// screen of 80x24 and of 200x60 as users on telnet and SSH make it happen:
// the MOTD at the top after login; the topic row above the messages when
// an admin sets a topic and gone when it is cleared; a /me line as an
// action; a user muted marked '-' and crossed out, unmarked after
// /unmute; an away user dimmed with the reason; an invite-only room marked
// after /lock; an op'd user marked '@', an operator (a key of --ops-file)
// '~'.
func TestUIIssue11Screen(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			t.Parallel()
			screenOfIssue11(t, w, h)
		})
	}
}

// screenOfIssue11 is TestUIIssue11Screen on a screen of w x h.
func screenOfIssue11(t *testing.T, w, h int) {
	opKey := apptest.NewKey(t)
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.OpsFile = apptest.OpsFile(t, opKey)
	cfg.MOTDFile = filepath.Join(t.TempDir(), "motd")
	if err := os.WriteFile(cfg.MOTDFile, []byte("Welcome to the den server!\nBe nice.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, cfg)

	mike := apptest.DialScreen(t, srv.SSH, "mike", apptest.NewKey(t), w, h)
	mike.WaitFor("the MOTD at the top, after the login line", func(text string) bool {
		_, msgs, _ := panes(strings.Split(text, "\n"), h)
		return len(msgs) > 3 && strings.HasSuffix(msgs[0], "Logging in as mike") &&
			strings.HasSuffix(msgs[1], "Welcome to the den server!") && strings.HasSuffix(msgs[2], "Be nice.") &&
			strings.HasSuffix(msgs[3], "mike has joined the chat room!")
	})

	alice := loginPast(t, srv.Telnet, "alice")
	alice.Send("/switch den")
	alice.Until("<helperbot> alice has joined the chat room!")
	bob := loginPast(t, srv.Telnet, "bob")
	bob.Send("/switch den")
	bob.Until("<helperbot> bob has joined the chat room!")
	mike.Type("/switch den\r")
	mike.WaitFor("mike in den with alice (its creator) and bob", func(text string) bool {
		return strings.Contains(text, "▸ den") && usersRow(text, "alice", h) == "@alice" &&
			usersRow(text, "bob", h) == "bob" && usersRow(text, "mike", h) == "mike*"
	})
	alice.Until("<helperbot> mike has joined the chat room!")

	// The topic row, set and cleared by the admin on telnet.
	alice.Send("/topic Plans for friday")
	mike.WaitFor("the topic row above the messages", func(text string) bool {
		_, msgs, _ := panes(strings.Split(text, "\n"), h)
		return msgs[0] == "Topic: Plans for friday"
	})
	if why := clean(mike.Text(), w, h, "mike", "den"); why != "" {
		t.Errorf("screen with a topic not clean: %s\n%s", why, mike.Text())
	}
	alice.Send("/topic -")
	mike.WaitFor("the topic row gone", func(text string) bool {
		_, msgs, _ := panes(strings.Split(text, "\n"), h)
		return !has(msgs, "Topic: Plans") && strings.Contains(text, "alice cleared the topic of 'den'.")
	})
	_, msgs, _ := panes(mike.Lines(), h)
	if strings.HasPrefix(msgs[0], "Topic:") {
		t.Errorf("the messages pane still starts with %q", msgs[0])
	}

	// An action: "* alice TEXT", not "alice: TEXT".
	alice.Send("/me waves at everyone")
	mike.WaitText("* alice waves at everyone")
	if strings.Contains(mike.Text(), "alice: waves") {
		t.Errorf("the action is shown as a message:\n%s", mike.Text())
	}

	// Muted, then unmuted: the mark and the crossing out come and go.
	alice.Send("/mute bob")
	mike.WaitFor("bob marked muted", func(text string) bool { return usersRow(text, "bob", h) == "-bob" })
	x, y := userCell(t, mike, "bob", h)
	if st := mike.Style(x, y); st.Attrs&uv.AttrStrikethrough == 0 {
		t.Errorf("muted bob is drawn in %+v, want crossed out", st)
	}
	bob.Send("can anyone hear me")
	bob.Until("<helperbot> You're muted in 'den'.")
	alice.Send("/unmute bob")
	mike.WaitFor("bob unmarked", func(text string) bool { return usersRow(text, "bob", h) == "bob" })
	x, y = userCell(t, mike, "bob", h)
	if st := mike.Style(x, y); st.Attrs&uv.AttrStrikethrough != 0 {
		t.Errorf("unmuted bob is drawn in %+v, want not crossed out", st)
	}
	if strings.Contains(mike.Text(), "can anyone hear me") {
		t.Errorf("a muted user's line reached the screen:\n%s", mike.Text())
	}

	// Away: dimmed, with the reason.
	bob.Send("/away lunch")
	mike.WaitFor("bob away", func(text string) bool { return usersRow(text, "bob", h) == "bob (lunch)" })
	x, y = userCell(t, mike, "bob", h)
	if st := mike.Style(x, y); st.Attrs&uv.AttrFaint == 0 {
		t.Errorf("away bob is drawn in %+v, want dimmed", st)
	}

	// Locked: the room marked in the rooms pane, chat not.
	alice.Send("/lock")
	mike.WaitFor("den marked invite-only", func(text string) bool {
		rooms, _, _ := panes(strings.Split(text, "\n"), h)
		return has(rooms, "▸ den +i") && has(rooms, "chat") && !has(rooms, "chat +i")
	})

	// Op'd: an admin's mark; an operator by key: the operator's mark.
	alice.Send("/op bob")
	mike.WaitFor("bob marked admin", func(text string) bool { return usersRow(text, "bob", h) == "@bob (lunch)" })
	root := apptest.DialSSHLines(t, srv.SSH, "root", opKey)
	root.Until("<helperbot> root has joined the chat room!")
	root.Send("/switch den") // an operator enters a locked room
	root.Until("<helperbot> root has joined the chat room!")
	mike.WaitFor("root marked operator", func(text string) bool { return usersRow(text, "root", h) == "~root" })
	if why := clean(mike.Text(), w, h, "mike", "den"); why != "" {
		t.Errorf("screen not clean: %s\n%s", why, mike.Text())
	}
}
