package sshd_test

import (
	"fmt"
	"strings"
	"testing"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
)

// panes splits the body rows of a screen (all but the status bar and the
// input line) at the pane separators: rooms, messages and users.
func panes(lines []string, h int) (rooms, msgs, users []string) {
	for i := 0; i < h-2 && i < len(lines); i++ {
		cols := strings.Split(lines[i], "│")
		if len(cols) != 3 {
			msgs = append(msgs, lines[i])
			continue
		}
		rooms = append(rooms, strings.TrimSpace(cols[0]))
		msgs = append(msgs, strings.TrimSpace(cols[1]))
		users = append(users, strings.TrimSpace(cols[2]))
	}
	return rooms, msgs, users
}

func has(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// clean reports why a screen of w x h is not a clean frame of the UI for
// user in room, or "" if it is: h rows, none wider than w; the same
// separator columns on every body row; the status bar and the input line
// at the bottom.
func clean(text string, w, h int, user, room string) string {
	lines := strings.Split(text, "\n")
	if len(lines) != h {
		return fmt.Sprintf("%d rows, want %d", len(lines), h)
	}
	sepAt := func(l string) string {
		var at []string
		for i, r := range []rune(l) {
			if r == '│' {
				at = append(at, fmt.Sprint(i))
			}
		}
		return strings.Join(at, ",")
	}
	want := sepAt(lines[0])
	if w >= 60 && strings.Count(want, ",") != 1 {
		return fmt.Sprintf("row 0 has separators at %q, want two", want)
	}
	for i, l := range lines {
		if n := len([]rune(l)); n > w {
			return fmt.Sprintf("row %d is %d wide", i, n)
		}
		if i < h-2 && sepAt(l) != want {
			return fmt.Sprintf("row %d has separators at %q, row 0 at %q", i, sepAt(l), want)
		}
	}
	if st := lines[h-2]; !strings.Contains(st, user) || !strings.Contains(st, "#"+room) {
		return fmt.Sprintf("status bar %q", st)
	}
	if !strings.HasPrefix(lines[h-1], ">") {
		return fmt.Sprintf("input line %q", lines[h-1])
	}
	return ""
}

// aliceAndMike starts a server on cfg with alice on telnet and mike on an
// 80x24 SSH screen, both in chat, each having seen the other arrive.
func aliceAndMike(t *testing.T, cfg app.Config) (alice *apptest.Client, mike *apptest.Screen) {
	t.Helper()
	srv := apptest.Start(t, cfg)
	alice = apptest.Login(t, srv.Telnet, "alice")
	mike = apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("Users (2)")
	alice.Expect("<helperbot> mike has joined the chat room!")
	return alice, mike
}

// TestUIChat: the UI shows the rooms, the users and the messages; a telnet
// user's message shows on the SSH screen and the SSH user's line reaches
// the telnet user.
func TestUIChat(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	mike := apptest.DialScreen(t, srv.SSH, "mike", apptest.NewKey(t), 80, 24)
	mike.WaitFor("rooms, users and messages", func(text string) bool {
		rooms, msgs, users := panes(strings.Split(text, "\n"), 24)
		return has(rooms, "▸ chat") && has(users, "alice") && has(users, "mike") &&
			has(msgs, "mike has joined the chat room!")
	})
	alice.Expect("<helperbot> mike has joined the chat room!")

	alice.Send("hi mike, from telnet")
	mike.WaitText("alice: hi mike, from telnet")
	mike.Type("hey alice, from ssh\r")
	alice.Expect("<mike> hey alice, from ssh")
	mike.WaitText("mike: hey alice, from ssh") // your own messages shown
	if why := clean(mike.Text(), 80, 24, "mike", "chat"); why != "" {
		t.Errorf("screen not clean: %s\n%s", why, mike.Text())
	}
}

// TestUISwitch: /switch from the UI updates the rooms, the users and the
// messages; the other room hears of it.
func TestUISwitch(t *testing.T) {
	t.Parallel()
	alice, mike := aliceAndMike(t, apptest.Config(t))

	mike.Type("/switch lobby\r")
	mike.WaitFor("all three panes in lobby", func(text string) bool {
		rooms, msgs, users := panes(strings.Split(text, "\n"), 24)
		return has(rooms, "▸ lobby") && has(rooms, "chat") && !has(rooms, "▸ chat") &&
			has(users, "@mike") && !has(users, "alice") &&
			has(msgs, "Switched to room 'lobby'") && strings.Contains(text, "#lobby")
	})
	alice.Expect("<helperbot> mike has left the chat room!")
}

// TestUIKick: a kick moves the SSH user back to chat and the screen shows it.
func TestUIKick(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	alice.Send("/switch den")
	alice.Expect("<system> Switched to room 'den'", "<helperbot> alice has joined the chat room!")
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("▸ chat")
	mike.Type("/switch den\r")
	mike.WaitText("▸ den", "@alice")
	alice.Expect("<helperbot> mike has joined the chat room!")

	alice.Send("/kick mike")
	mike.WaitFor("kicked back to chat", func(text string) bool {
		rooms, msgs, _ := panes(strings.Split(text, "\n"), 24)
		return has(rooms, "▸ chat") && strings.Contains(text, "#chat") &&
			has(msgs, "kicked from the 'den'")
	})
}

// TestUIResize: resizing to 60x20 and to 200x60 leaves a clean screen.
func TestUIResize(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	apptest.Login(t, srv.Telnet, "alice").Send("a line that is long enough to wrap when the messages pane gets narrow")
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("Users (2)")
	for _, sz := range [][2]int{{60, 20}, {200, 60}, {80, 24}} {
		w, h := sz[0], sz[1]
		mike.Resize(w, h)
		mike.WaitFor(fmt.Sprintf("a clean %dx%d screen", w, h), func(text string) bool {
			return clean(text, w, h, "mike", "chat") == ""
		})
	}
}

// TestUIResizeStorm: a storm of window changes costs a few redraws, not
// one each, and ends on a clean screen of the last size.
func TestUIResizeStorm(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("Users (1)")
	frame := mike.Bytes() // about one full frame
	before := mike.Bytes()
	const n = 1000
	for i := range n {
		if err := mike.Session.WindowChange(24+i%2, 80+i%7); err != nil {
			t.Fatalf("window change %d: %v", i, err)
		}
	}
	mike.Resize(100, 30)
	mike.WaitFor("a clean 100x30 screen", func(text string) bool {
		return clean(text, 100, 30, "mike", "chat") == ""
	})
	if spent := mike.Bytes() - before; spent > 100*frame {
		t.Errorf("%d window changes cost %d bytes, %d frames' worth", n, spent, spent/frame)
	} else {
		t.Logf("%d window changes cost %d bytes (a frame is about %d)", n, spent, frame)
	}
	if got := srv.App.Hub().Online(); got != 1 {
		t.Errorf("Online() = %d, want 1", got)
	}
}

// TestUIClamp: a pty of 10000x10000 is drawn at the clamped 500x200, and
// the server carries on.
func TestUIClamp(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 10000, 10000, 500, 200)
	mike.WaitFor("a clean 500x200 screen", func(text string) bool {
		return clean(text, 500, 200, "mike", "chat") == ""
	})
	mike.WindowChange(10000, 10000)
	apptest.LoginSSH(t, srv.SSH, "bob", nil).Quiet()
	mike.WaitText("bob has joined the chat room!")
	if why := clean(mike.Text(), 500, 200, "mike", "chat"); why != "" {
		t.Errorf("after a 10000x10000 window change: %s", why)
	}
}

// TestUIRefused: with a pty too, a refused name gets its refusal line and
// exit status 1.
func TestUIRefused(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	owner := apptest.NewKey(t)
	first := apptest.DialScreen(t, srv.SSH, "mike", owner, 80, 24)
	first.WaitText("Users (1)")
	first.Type("/leave\r")
	if got := apptest.ExitStatus(t, first.Session); got != 0 {
		t.Errorf("exit status after /leave = %d, want 0", got)
	}
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })

	other := apptest.DialScreen(t, srv.SSH, "mike", apptest.NewKey(t), 80, 24)
	other.WaitText("<system> That username belongs to another SSH key, please try another one.")
	if got := apptest.ExitStatus(t, other.Session); got != 1 {
		t.Errorf("exit status of the second key = %d, want 1", got)
	}
	if got := srv.App.Hub().Online(); got != 0 {
		t.Errorf("Online() = %d, want 0", got)
	}
	again := apptest.DialScreen(t, srv.SSH, "mike", owner, 80, 24)
	again.WaitText("Users (1)")
	again.Type("\x03") // Ctrl+C
	if got := apptest.ExitStatus(t, again.Session); got != 0 {
		t.Errorf("exit status after Ctrl+C = %d, want 0", got)
	}
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })
}

// TestUICutNoGhost: a connection cut while the UI is drawing leaves no
// user behind, and the name can be used again.
func TestUICutNoGhost(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 200, 60)
	mike.WaitText("Users (2)")
	for i := range 15 { // within the flood burst
		alice.Send(fmt.Sprintf("line %d to keep the screen busy", i))
	}
	mike.WaitText("line 3 to keep")
	mike.SSH.Close()
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 1 })
	again := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	again.WaitText("Users (2)")
}

// TestUIShutdown: at shutdown the UI ends at once, without waiting for the grace.
func TestUIShutdown(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	mike := apptest.DialScreen(t, srv.SSH, "mike", nil, 80, 24)
	mike.WaitText("Users (1)")
	srv.Stop(t)
	apptest.ExitStatus(t, mike.Session)
}

// TestUISanitised: escape sequences typed or pasted into the UI never
// reach anyone else raw.
func TestUISanitised(t *testing.T) {
	t.Parallel()
	alice, mike := aliceAndMike(t, apptest.Config(t))
	mike.Type("\x1b[200~pasted \x1b[31mred\x1b[0m \x1b]0;title\x07\u202eevil\x1b[201~\r")
	got := alice.Next()
	if strings.ContainsAny(got, "\x1b\x07\u202e") || !strings.HasPrefix(got, "<mike> pasted") {
		t.Errorf("alice got %q", got)
	}
	t.Logf("alice got %q", got)
}

// TestUIKeys: keys reach the input line whole however the client's
// packets cut them (each byte of an arrow key's sequence in its own
// write), Esc alone is a key, and a paste far over every limit costs the
// server nothing: the line is cut, nobody else sees anything, and the
// user goes on chatting.
func TestUIKeys(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0 // alice fills mike's screen to scroll it
	alice, mike := aliceAndMike(t, cfg)

	mike.Type("abc")
	for _, b := range "\x1b[D\x1b[D" { // Left, Left, a byte a packet
		mike.Type(string(b))
	}
	mike.Type("X")
	mike.WaitText("> aXbc")
	mike.Type("\r")
	alice.Expect("<mike> aXbc")

	for i := range 40 {
		alice.Send(fmt.Sprintf("line-%02d", i))
	}
	mike.WaitText("line-39")
	mike.Type("\x1b[5~") // PgUp
	mike.WaitFor("scrolled back", func(text string) bool { return !strings.Contains(text, "line-39") })
	mike.Type("\x1b") // Esc alone, after its timeout: back to the newest
	mike.WaitText("line-39")

	mike.Type("\x1b[200~two\rlines\tand a tab\x1b[201~\r") // a paste's breaks do not send it
	alice.Expect("<mike> two lines and a tab")

	paste := strings.Repeat("spam ", 400<<10/5) // 400 KiB in one paste
	mike.Type("\x1b[200~" + paste + "\x1b[201~")
	mike.WaitText("spam spam spam") // the input line shows the end of what it holds
	mike.Type("\r")
	mike.WaitText(chat.TextTooLong[:30]) // the line is refused with a reason...
	mike.Type("still here\r")
	alice.Expect("<mike> still here") // ...and alice saw nothing before this
}

// TestUIColourProfile: a terminal that says it shows 16 colours (TERM=xterm)
// gets names in the 16 ANSI colours, one that shows 256 the 256-colour
// palette: nobody gets sequences their terminal cannot show.
func TestUIColourProfile(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	for _, tc := range []struct {
		term string
		want string // the colour type a name is drawn in
	}{
		{"xterm", "ansi.BasicColor"},
		{"xterm-256color", "ansi.IndexedColor"},
	} {
		name := "m" + strings.ReplaceAll(tc.term, "-", "")
		scr := apptest.DialScreenTerm(t, srv.SSH, name, nil, tc.term, 80, 24)
		scr.WaitText("Users (")
		alice.Send("colours for " + name)
		scr.WaitText("alice: colours for " + name)
		x, y, _ := scr.Find("alice: colours for " + name)
		if got := fmt.Sprintf("%T", scr.Colour(x, y)); got != tc.want {
			t.Errorf("TERM=%s: alice's name is drawn in a %s, want %s", tc.term, got, tc.want)
		}
	}
}
