package sshd_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// rowOf returns the row of the screen text that first holds sub, or -1.
func rowOf(text, sub string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}

// inOrder reports whether every one of subs is on the screen, each on a
// row below the one before.
func inOrder(text string, subs ...string) bool {
	last := -1
	for _, s := range subs {
		r := rowOf(text, s)
		if r <= last {
			return false
		}
		last = r
	}
	return true
}

// TestUIOwnLinesStay: whispers both ways and the session's notices stay on
// the SSH screen when the user switches rooms and comes back, between the
// room's messages by time, and the sender's own whisper is shown to them.
func TestUIOwnLinesStay(t *testing.T) {
	t.Parallel()
	alice, mike := aliceAndMike(t, apptest.Config(t))
	alice.Send("before the whisper")
	alice.Send("/w mike psst, a secret")
	alice.Send("after the whisper")
	mike.WaitText("alice: after the whisper")
	mike.Type("/w alice right back at you\r")
	alice.Expect("<helperbot> mike whispered to you: right back at you")
	mike.Type("/nosuchcommand\r")
	want := []string{"alice: before the whisper", "alice whispered to you: psst, a secret", "alice: after the whisper",
		"you whispered to alice: right back at you", "Command not found."}
	mike.WaitFor("the whispers between the messages", func(text string) bool { return inOrder(text, want...) })

	mike.Type("/switch lobby\r")
	mike.WaitFor("the whispers in lobby", func(text string) bool {
		return inOrder(text, "alice whispered to you: psst, a secret", "you whispered to alice: right back at you",
			"Switched to room 'lobby'") && !strings.Contains(text, "before the whisper")
	})
	alice.Send("/w mike while you were away")
	mike.WaitText("alice whispered to you: while you were away")
	mike.Type("/switch chat\r")
	want = append(want, "Switched to room 'lobby'", "alice whispered to you: while you were away", "Switched to room 'chat'")
	mike.WaitFor("back in chat, everything in time order", func(text string) bool {
		return inOrder(text, want...) && strings.Count(text, "psst, a secret") == 1
	})
	if why := clean(mike.Text(), 80, 24, "mike", "chat"); why != "" {
		t.Errorf("screen not clean: %s\n%s", why, mike.Text())
	}
}

// TestWhisperNoEchoOnLines: the line protocol gives the sender of a
// whisper no line, on telnet and on SSH without a pty, though the engine
// now tells the sender's session that it went out.
func TestWhisperNoEchoOnLines(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.LoginSSH(t, srv.SSH, "bob", nil)
	alice.Expect("<helperbot> bob has joined the chat room!")
	alice.Send("/w bob from telnet")
	bob.Expect("<helperbot> alice whispered to you: from telnet")
	alice.Quiet()
	bob.Send("/w alice from ssh")
	alice.Expect("<helperbot> bob whispered to you: from ssh")
	bob.Quiet()
}
