package app_test

import (
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat"
)

// Telnet's bytes around a password: IAC WILL ECHO ends the prompt's line
// (the client then hides what is typed), IAC WONT ECHO follows the
// password line; a line reader sees both at the start of the next line.
const (
	echoOff = "\xff\xfb\x01"
	echoOn  = "\xff\xfc\x01"
)

// askedFor sends name at c's username prompt and reads the password prompt.
func askedFor(c *apptest.Client, name string) {
	c.Send(name)
	c.Expect("<system> " + chat.TextPasswordPrompt)
}

// wrongPassword answers c's password prompt with a wrong password and
// reads the refusal, and the username prompt unless last.
func wrongPassword(c *apptest.Client, last bool) {
	c.Send("not the password")
	c.Expect(echoOff + echoOn + "<system> " + chat.TextWrongPassword)
	if !last {
		c.Expect("<system> " + chat.TextEnterName)
	}
}

// loginWithPassword logs name in on a new telnet connection by its password.
func loginWithPassword(t *testing.T, addr, name, password string) *apptest.Client {
	t.Helper()
	c := apptest.Dial(t, addr)
	c.Welcome()
	askedFor(c, name)
	c.Send(password)
	c.Expect(echoOff+echoOn+"<system> Logging in as "+name, joinLine(name))
	return c
}

// whoisWhere reads the first line of /whois, whose times vary, and checks
// that it starts with want ("NAME: in 'ROOM' via DOOR").
func whoisWhere(t *testing.T, c *apptest.Client, want string) {
	t.Helper()
	if got := c.Next(); !strings.HasPrefix(got, "<system> "+want+", online for ") {
		t.Errorf("/whois: %q, want %q…", got, "<system> "+want+", online for ")
	}
}

// protectOverTelnet logs name in over telnet, protects it with password
// and logs out.
func protectOverTelnet(t *testing.T, srv *apptest.Server, name, password string) {
	t.Helper()
	before := srv.App.Hub().Online()
	c := apptest.Login(t, srv.Telnet, name)
	c.Send("/password " + password)
	c.Until("<system> Your name is now protected by a password.") // on a node of a cluster, past another node's leave line on its way
	c.Send("/leave")
	c.Until("<system> Leaving chat room.")
	apptest.Eventually(t, name+" logged out", func() bool { return srv.App.Hub().Online() == before })
}

// TestTelnetPassword: mike protects his name over telnet; the name then
// asks for its password, with the echo-hiding bytes around it; a wrong
// one is refused and the prompt comes again, the right one logs him in,
// also after a restart. The room he created stays his: nobody else can
// log in as mike to use its admin rights.
func TestTelnetPassword(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	mike := apptest.Login(t, srv.Telnet, "mike")
	mike.Send("/password")
	mike.Expect("<system> Please specify a password of at least 8 characters.")
	mike.Send("/password hunter2 hunter2")
	mike.Expect("<system> Your name is now protected by a password.")
	enterRoom(mike, "mike", "den", "den")
	mike.Send("/whois mike")
	whoisWhere(t, mike, "mike: in 'den' via telnet")
	mike.Expect("<system> mike: protected by a password", "<system> mike: admin of 'den'")
	mike.Send("/leave")
	mike.Until("<system> Leaving chat room.")
	mike.Closed()
	apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })

	// Someone else: a wrong password, then another name, which is no admin of den.
	eve := apptest.Dial(t, srv.Telnet)
	eve.Welcome()
	askedFor(eve, "MIKE")
	wrongPassword(eve, false)
	eve.Send("eve")
	eve.Expect("<system> Logging in as eve", joinLine("eve"))
	enterRoom(eve, "eve", "den", "den")
	eve.Send("/kick eve")
	eve.Expect("<helperbot> You must be an admin to kick.")
	eve.Send("/leave")
	eve.Until("<system> Leaving chat room.")
	apptest.Eventually(t, "eve logged out", func() bool { return srv.App.Hub().Online() == 0 })
	// Over SSH, no key and another key are asked for the password too, and
	// a wrong one gets nobody in (sshd's tests): neither door lets eve be mike.

	pw, next := "hunter2 hunter2", "hunter2 hunter3"
	for _, restart := range []bool{false, true} {
		if restart {
			srv.Stop(t)
			srv = apptest.Start(t, cfg)
		}
		m := loginWithPassword(t, srv.Telnet, "mike", pw)
		enterRoom(m, "mike", "den", "den")
		m.Send("/users")
		m.Expect("<helperbot> Current online users:", "<helperbot> 1. mike (admin)")
		m.Send("/password " + next)
		m.Expect("<system> Your password has been changed.")
		m.Send("/password " + pw) // one every 10 s per session
		m.Expect("<system> You're sending too fast, slow down.")
		pw, next = next, pw
		m.Send("/leave")
		m.Until("<system> Leaving chat room.")
		m.Closed()
		apptest.Eventually(t, "mike logged out", func() bool { return srv.App.Hub().Online() == 0 })
	}
}

// TestTelnetPasswordTries: three wrong passwords on one connection close
// it, the third told so first; a name owned by an SSH key without a
// password takes no password at all.
func TestTelnetPasswordTries(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	leaveSSH(t, apptest.LoginSSH(t, srv.SSH, "anna", apptest.NewKey(t)))
	mike := apptest.Login(t, srv.Telnet, "mike")
	mike.Send("/password hunter2hunter2")
	mike.Expect("<system> Your name is now protected by a password.")

	c := apptest.Dial(t, srv.Telnet)
	c.Welcome()
	askedFor(c, "mike")
	wrongPassword(c, false)
	askedFor(c, "anna")
	wrongPassword(c, false) // no password is anna's
	askedFor(c, "mike")
	wrongPassword(c, true)
	if rest := c.Closed(); len(rest) != 0 {
		t.Errorf("after the third wrong password: %q, want the connection closed", rest)
	}
	// Online, mike is asked for his password all the same: only the
	// right one may take the name (it is then taken, or replaced).
	d := apptest.Dial(t, srv.Telnet)
	d.Welcome()
	askedFor(d, "mike")
	wrongPassword(d, false)
}

// TestTelnetPasswordAddressLimit: past 10 wrong passwords a minute from
// one address, a password is refused without being checked, the right
// one too; another address is not limited.
func TestTelnetPasswordAddressLimit(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	protectOverTelnet(t, srv, "mike", "hunter2hunter2")

	const from = "127.0.0.9"
	for i := 0; i < chat.WrongPasswordsPerAddr; {
		c := apptest.DialFrom(t, srv.Telnet, from)
		c.Welcome()
		for try := 0; try < 3 && i < chat.WrongPasswordsPerAddr; try, i = try+1, i+1 {
			askedFor(c, "mike")
			wrongPassword(c, try == 2)
		}
	}
	c := apptest.DialFrom(t, srv.Telnet, from)
	c.Welcome()
	askedFor(c, "mike")
	c.Send("hunter2hunter2")
	c.Expect(echoOff+echoOn+"<system> "+chat.TextTooManyAttempts, "<system> "+chat.TextEnterName)
	loginWithPassword(t, srv.Telnet, "mike", "hunter2hunter2") // from 127.0.0.1
}
