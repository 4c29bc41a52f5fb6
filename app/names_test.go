package app_test

import (
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// leaveSSH logs an SSH line session out and waits for its end.
func leaveSSH(t *testing.T, c *apptest.SSHLines) {
	t.Helper()
	c.Send("/leave")
	c.Until("<system> Leaving chat room.")
	c.Closed()
	if code := apptest.ExitStatus(t, c.Session); code != 0 {
		t.Errorf("exit status after /leave = %d, want 0", code)
	}
}

// TestNamesPerKeySSH: a key that owns --names-per-key names is refused a
// new one, with PROTOCOL.md's line and exit status 1, and still gets in
// with the names it owns.
func TestNamesPerKeySSH(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.NamesPerKey = 3
	srv := apptest.Start(t, cfg)
	key := apptest.NewKey(t)
	for _, name := range []string{"anna", "bert", "carl"} {
		leaveSSH(t, apptest.LoginSSH(t, srv.SSH, name, key))
	}
	c := apptest.DialSSHLines(t, srv.SSH, "dora", key)
	c.Expect("<system> Welcome to the chat room!",
		"<system> Your SSH key already owns 3 names, please log in with one of them.")
	if code := apptest.ExitStatus(t, c.Session); code != 1 {
		t.Errorf("exit status of a fourth name = %d, want 1", code)
	}
	apptest.Eventually(t, "everyone logged out", func() bool { return srv.App.Hub().Online() == 0 })
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "BERT", key)) // owned, as any spelling
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "dora", apptest.NewKey(t)))
}

// nameTry is a name sent at the login prompt and the line it must get.
type nameTry struct{ name, want string }

// tryNames sends each name at c's login prompt and checks its answer.
func tryNames(t *testing.T, c *apptest.Client, tries []nameTry) {
	t.Helper()
	for _, tc := range tries {
		c.Send(tc.name)
		if got := c.Next(); got != tc.want {
			t.Errorf("telnet login as %q: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestLookAlikeNames: the look-alike and invisible names of issue 10 item
// 12, at the telnet door over TCP and at the SSH door, with alice and josé
// owned by keys, bob banned from ops and gone, and mike online.
func TestLookAlikeNames(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "alice", apptest.NewKey(t)))
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "josé", apptest.NewKey(t)))
	mike := apptest.Login(t, srv.Telnet, "mike")
	enterRoom(mike, "mike", "ops", "ops")
	bob := apptest.Login(t, srv.Telnet, "bob")
	enterRoom(bob, "bob", "ops", "ops")
	mike.Until("<helperbot> bob has joined the chat room!")
	mike.Send("/ban bob")
	bob.Until("<helperbot> You've been banned from the 'ops' room. You've been returned to 'chat'.")
	mike.Until("<helperbot> bob has left the chat room!")
	bob.Send("/leave")
	bob.Until("<system> Leaving chat room.")
	bob.Closed()
	apptest.Eventually(t, "bob logged out", func() bool { return srv.App.Hub().Online() == 1 })

	invalid := "<system> " + chat.RefusalText(chat.ErrNameInvalid)
	reserved := "<system> " + chat.RefusalText(chat.ErrNameReserved)
	taken := "<system> " + chat.RefusalText(chat.ErrNameTaken)
	c := apptest.Dial(t, srv.Telnet)
	c.Welcome()
	tryNames(t, c, []nameTry{
		{"аlice", invalid},      // Cyrillic а
		{"\u3164", invalid},     // HANGUL FILLER: a blank name
		{"ѕystem", invalid},     // Cyrillic ѕ
		{"helperbоt", invalid},  // Cyrillic о
		{"bоb", invalid},        // Cyrillic о
		{"helperb0t", reserved}, // a zero
		{"aIice", taken},        // a capital I
		{"MlKE", taken},         // a small L
		{"аӏісе", taken},        // all Cyrillic, ӏ palochka
		{"ᴍike", taken},         // small capital M
		{"ѕуѕтем", reserved},    // all Cyrillic
	})
	// The same names as alice and josé, owned by keys without a password:
	// they are asked for one, and no password is right.
	k := apptest.Dial(t, srv.Telnet)
	k.Welcome()
	for i, name := range []string{"ａｌｉｃｅ", "alice\u034F", "jose\u0301"} { // full-width, COMBINING GRAPHEME JOINER, e + COMBINING ACUTE ACCENT
		k.Send(name)
		k.Expect("<system> " + chat.TextPasswordPrompt)
		k.Send("not-the-password")
		if k.Expect("\xff\xfb\x01\xff\xfc\x01<system> " + chat.TextWrongPassword); i < 2 {
			k.Expect("<system> " + chat.TextEnterName)
		}
	}
	k.Closed()
	// More on a second connection, each connection sending at most its
	// flood burst; Latin with Han, as Japanese is written, is one name.
	j := apptest.Dial(t, srv.Telnet)
	j.Welcome()
	tryNames(t, j, []nameTry{
		{"a1ice", taken}, // a one
		{"ALLCE", taken}, // may be shown as alIce
		{"rnike", taken}, // r and n
	})
	j.Send("漢字abc")
	j.Expect("<system> Logging in as 漢字abc", "<helperbot> 漢字abc has joined the chat room!")
	// A look-alike that is allowed in is still banned where bob is.
	c.Send("b0b")
	c.Expect("<system> Logging in as b0b", "<helperbot> b0b has joined the chat room!")
	c.Send("/switch ops")
	c.Expect("<helperbot> You're banned from this room and cannot join.")
	// No room that looks like another.
	c.Send("/switch сhat") // Cyrillic с
	c.Expect("<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32).")
	c.Send("/switch ＯＰＳ")
	c.Expect("<helperbot> You're banned from this room and cannot join.")
	c.Send("/rooms")
	c.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. ops")

	s := apptest.DialSSHLines(t, srv.SSH, "ａｌｉｃｅ", apptest.NewKey(t))
	s.Expect("<system> Welcome to the chat room!", "<system> "+chat.RefusalText(chat.ErrNameOwned))
	if code := apptest.ExitStatus(t, s.Session); code != 1 {
		t.Errorf("exit status of an SSH look-alike = %d, want 1", code)
	}
}
