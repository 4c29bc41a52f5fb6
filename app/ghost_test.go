package app_test

import (
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestGhostOldDoors: a login that proves a name replaces an older session
// that came in over telnet, or over SSH without a key: the real door of
// the older session tells it and closes its connection, and the room sees
// it leave. Today nothing proves a name no key owns (the password of the
// "passwords" branch will, on either door), so the newer login here is
// the engine's own, with LoginOptions.Proven standing in for that proof:
// the pairs telnet to telnet, telnet to SSH (proven with a key) and SSH to
// telnet. SSH to SSH with the name's key, door to door, is in package
// sshd's ghost tests.
func TestGhostOldDoors(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	anna := apptest.Login(t, srv.Telnet, "anna")
	hub := srv.App.Hub()
	for _, tc := range []struct {
		name, user   string
		oldSSH       bool
		newDoor, key string
	}{
		{name: "telnet to telnet", user: "mike", newDoor: "telnet"},
		{name: "telnet to ssh", user: "mia", newDoor: "ssh", key: "SHA256:stands-in"}, // binds mia to the key
		{name: "ssh to telnet", user: "max", oldSSH: true, newDoor: "telnet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anna := anna.For(t)
			var old *apptest.Client
			var sess *gossh.Session
			if tc.oldSSH {
				c := apptest.LoginSSH(t, srv.SSH, tc.user, nil)
				old, sess = c.Client, c.Session
			} else {
				old = apptest.Login(t, srv.Telnet, tc.user)
			}
			anna.Expect("<helperbot> " + tc.user + " has joined the chat room!")
			old.Quiet()

			user := strings.ToUpper(tc.user[:1]) + tc.user[1:] // the same name, as the new login types it
			s, err := hub.Login(t.Context(), user, chat.LoginOptions{Door: tc.newDoor, Addr: "127.0.0.1:1", KeyID: tc.key, Proven: true, Outbox: chat.NewOutbox(0)})
			if err != nil {
				t.Fatalf("proven login: %v", err)
			}
			old.ExpectClosed("<system> You logged in from another connection.")
			if sess != nil {
				if got := apptest.ExitStatus(t, sess); got != 0 {
					t.Errorf("the older SSH session's exit status = %d, want 0", got)
				}
			}
			anna.Expect("<helperbot> "+tc.user+" has left the chat room!", "<helperbot> "+user+" has joined the chat room!")
			want := []string{"<system> Logging in as " + user + "\n", "<helperbot> " + user + " has joined the chat room!\n"}
			if got := chattest.Lines(s); !slices.Equal(got, want) {
				t.Errorf("the new session got %q, want %q", got, want)
			}
			var names []string
			for _, m := range hub.Members("chat") {
				names = append(names, m.Name)
			}
			if !slices.Equal(names, []string{"anna", user}) {
				t.Errorf("chat's members: %q, want [anna %s]", names, user)
			}
			s.Close()
			anna.Expect("<helperbot> " + user + " has left the chat room!")
			anna.Quiet()
		})
	}
}
