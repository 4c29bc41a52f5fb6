package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// PROTOCOL.md's "Offline delivery", end to end: whispers and mentions for
// a protected name that is offline, kept across a restart, the sender
// told, the block at the next login on the line protocol and in the SSH
// UI, once.

func offlineLine(name string) string {
	return "<helperbot> " + name + " is offline; they will get your message when they log in."
}

// keptRe matches a line of the block: "<system> [YYYY-MM-DD HH:MM] REST".
var keptRe = regexp.MustCompile(`^<system> \[\d{4}-\d\d-\d\d \d\d:\d\d\] (.*)$`)

// expectKept reads the block, "While you were away:" to "End of
// messages.", and checks its lines, without their stamp, are want.
func expectKept(t *testing.T, c *apptest.Client, want ...string) {
	t.Helper()
	c.Expect("<system> While you were away:")
	for _, w := range want {
		l := c.Next()
		if m := keptRe.FindStringSubmatch(l); m == nil || m[1] != w {
			t.Errorf("kept line %q, want \"<system> [YYYY-MM-DD HH:MM] %s\"", l, w)
		}
	}
	c.Expect("<system> End of messages.")
}

// leave logs c, logged in as name, out with /leave and waits until watcher,
// in the same room, sees them go.
func leave(c, watcher *apptest.Client, name string) {
	c.Send("/leave")
	watcher.Until("<helperbot> " + name + " has left the chat room!")
}

// TestOfflineAcrossRestart: mike owns his name by his SSH key and is
// offline; anna's whisper and her message mentioning him, said over
// telnet, are kept across a restart of the server; mike gets them at his
// next login over SSH without a pty, between the login and join lines,
// once. An action and a message in a locked room he may not enter are
// not kept; neither is anything from a name he ignores.
func TestOfflineAcrossRestart(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	srv := apptest.Start(t, cfg)
	key := apptest.NewKey(t)

	mike := apptest.LoginSSH(t, srv.SSH, "mike", key) // binds mike to key
	mike.Send("/ignore troll")
	mike.Expect("<system> You're now ignoring troll.")
	anna := apptest.Login(t, srv.Telnet, "anna")
	mike.Expect("<helperbot> anna has joined the chat room!")
	leave(mike.Client, anna, "mike")
	troll := apptest.Login(t, srv.Telnet, "troll")
	anna.Expect("<helperbot> troll has joined the chat room!")

	anna.Send("/w MIKE are you there?")
	anna.Expect(offlineLine("mike"))
	troll.Send("/w mike spam")
	troll.Expect(offlineLine("mike")) // ignoring is not told
	troll.Send("mike mike mike")
	anna.Expect("<troll> mike mike mike")
	anna.Send("/me pokes mike")
	anna.Send("has anyone seen Mike today?")
	troll.Expect("* anna pokes mike", "<anna> has anyone seen Mike today?")
	anna.Send("/switch vault")
	anna.Expect("<system> Switched to room 'vault'", "<helperbot> anna has joined the chat room!")
	anna.Send("/lock")
	anna.Expect("<helperbot> 'vault' is now invite-only.")
	anna.Send("mike must not read this")
	anna.Quiet()
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	mike = apptest.DialSSHLines(t, srv.SSH, "mike", key)
	mike.Expect("<system> Welcome to the chat room!", "<system> Logging in as mike")
	expectKept(t, mike.Client, "anna whispered to you: are you there?", "#chat <anna> has anyone seen Mike today?")
	mike.Expect("<helperbot> mike has joined the chat room!")
	mike.Quiet()
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")

	mike = apptest.LoginSSH(t, srv.SSH, "mike", key) // nothing more: delivered once
	mike.Quiet()
}

// annaAndAbsentMike starts a server without flood control where mike owns
// his name by the key returned and is offline, and anna is online over
// telnet.
func annaAndAbsentMike(t *testing.T) (*apptest.Server, gossh.Signer, *apptest.Client) {
	t.Helper()
	srv := startNoFlood(t)
	key := apptest.NewKey(t)
	mike := apptest.LoginSSH(t, srv.SSH, "mike", key)
	mike.Send("/leave")
	mike.Expect("<system> Leaving chat room.")
	return srv, key, apptest.Login(t, srv.Telnet, "anna")
}

// whisperMike sends n whispers to mike, offline, the i-th with the text
// format makes of i, and reads the line that tells each was kept.
func whisperMike(anna *apptest.Client, format string, n int) {
	for i := range n {
		anna.Send("/w mike " + fmt.Sprintf(format, i))
		anna.Expect(offlineLine("mike"))
	}
}

// TestOfflineCapOverRealDoors: of more than 100 whispers, the newest 100
// are kept, and a whisper to a name nobody protects is not found as before.
func TestOfflineCapOverRealDoors(t *testing.T) {
	t.Parallel()
	srv, key, anna := annaAndAbsentMike(t)
	anna.Send("/w bob hello")
	anna.Expect("<helperbot> Could not find someone with that username.")
	whisperMike(anna, "whisper %03d", 105)
	var want []string
	for i := 5; i < 105; i++ {
		want = append(want, fmt.Sprintf("anna whispered to you: whisper %03d", i))
	}
	mike := apptest.DialSSHLines(t, srv.SSH, "mike", key)
	mike.Expect("<system> Welcome to the chat room!", "<system> Logging in as mike")
	expectKept(t, mike.Client, want...)
	mike.Expect("<helperbot> mike has joined the chat room!")
}

// TestOfflineBlockOnScreen: in the SSH UI at 80x24, a block longer than
// the screen shows from its first line, and the user scrolls down through
// it to its end.
func TestOfflineBlockOnScreen(t *testing.T) {
	t.Parallel()
	srv, key, anna := annaAndAbsentMike(t)
	whisperMike(anna, "whisper %02d", 40)

	scr := apptest.DialScreen(t, srv.SSH, "mike", key, 80, 24)
	// Each kept line wraps once at 80 columns, under the screen's own stamp.
	scr.WaitText("Logging in as mike", "While you were away:", "whisper 00", "new (Esc)")
	if strings.Contains(scr.Text(), "End of messages.") {
		t.Fatalf("the block's end is on the screen at once; screen:\n%s", scr.Text())
	}
	for range 6 {
		scr.Type("\x1b[6~") // PgDn, a page at a time, down to the end
	}
	scr.WaitText("whisper 39", "End of messages.", "mike has joined the chat room!")
	scr.Type("\x1b[5~") // PgUp: back into the block
	scr.WaitFor("the block's middle", func(text string) bool {
		return !strings.Contains(text, "End of messages.") && strings.Contains(text, "anna whispered to you:")
	})
}
