package app_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/bots/helperbot"
	"chatserver/chat"
)

// These tests walk PROTOCOL.md table by table over real TCP. For every line
// they check who gets it and who does not: a user who must get nothing
// sends a sentinel (/room) and the first thing back must be its answer.

const (
	lineNotFound  = "<helperbot> Could not find someone with that username."
	lineTooLong   = "<system> Message cannot exceed 450 characters."
	lineBadRoom   = "<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32)."
	lineNoCommand = "<system> Command not found."
	lineShutdown  = "<system> The server is shutting down."
)

func joinLine(name string) string     { return "<helperbot> " + name + " has joined the chat room!" }
func leaveLine(name string) string    { return "<helperbot> " + name + " has left the chat room!" }
func roomLine(room string) string     { return "<system> You're currently in the '" + room + "' room." }
func switchedLine(room string) string { return "<system> Switched to room '" + room + "'" }

// startNoFlood runs a server for protocol tests with flood control off, so that a
// test's own quick commands are never dropped; TestFlood* test it.
func startNoFlood(t *testing.T) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	return apptest.Start(t, cfg)
}

// enter moves c, logged in as name, to room and reads the two lines that
// answer it.
func enter(c *apptest.Client, name, room string) { enterRoom(c, name, room, room) }

// enterRoom sends /switch room and reads the switch line and the user's own
// join line; shown is the room's name as first created.
func enterRoom(c *apptest.Client, name, room, shown string) {
	c.Send("/switch " + room)
	c.Expect(switchedLine(shown), joinLine(name))
}

// allQuiet asserts that none of cs got anything.
func allQuiet(cs ...*apptest.Client) {
	for _, c := range cs {
		c.Quiet()
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	watcher, away := oneAway(t, srv, "watcher", "Elsewhere", "other")
	for _, name := range []string{"Jürgen", "kate"} {
		apptest.Login(t, srv.Telnet, name)
		watcher.Expect(joinLine(name))
	}

	const (
		tooLong  = "<system> Username must be less than 20 characters."
		badChars = "<system> Usernames may only use letters, digits, '-', '_' and '.'."
		reserved = "<system> That username is reserved, please try another one."
		inUse    = "<system> That username is already taken, please try another one."
	)
	tests := []struct{ name, in, want string }{
		{"21 letters", strings.Repeat("a", 21), tooLong},
		{"21 code points", strings.Repeat("é", 21), tooLong},
		{"length is checked first", strings.Repeat("!", 21), tooLong},
		{"space", "al ice", badChars},
		{"punctuation", "al!ce", badChars},
		{"apostrophe", "o'neil", badChars},
		{"emoji", "cool😀", badChars},
		{"a command is a bad name", "/room", badChars},
		{"ZWJ alone", "\u200D", badChars},         // invisible: removed, nothing left
		{"hangul filler", "\u3164", badChars},     // the same, a letter that shows blank
		{"mixed scripts", "\u0430lice", badChars}, // Cyrillic а
		{"system", "system", reserved},
		{"SYSTEM", "SYSTEM", reserved},
		{"helperbot", "helperbot", reserved},
		{"HelperBot", "HelperBot", reserved},
		{"hellobot", "hellobot", reserved},
		{"taken", "watcher", inUse},
		{"taken, other case", "WATCHER", inUse},
		{"taken, in another room", "elsewhere", inUse},
		{"taken, unicode case folding", "JÜRGEN", inUse},
		{"taken, kelvin sign folds to k", "\u212Aate", inUse},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			watcher, away := watcher.For(t), away.For(t)
			c := apptest.Dial(t, srv.Telnet)
			c.Welcome()
			c.Send(tc.in)
			c.Expect(tc.want)
			allQuiet(watcher, away)
			// Still at the prompt: the next attempt may succeed.
			name := "retry" + strconv.Itoa(i)
			c.Send(name)
			c.Expect("<system> Logging in as "+name, joinLine(name))
			watcher.Expect(joinLine(name))
			c.Conn.Close()
			watcher.Expect(leaveLine(name))
			allQuiet(away)
		})
	}
}

func TestLoginAccepted(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	watcher, away := oneAway(t, srv, "watcher", "away", "other")

	tests := []struct{ name, in, shown string }{
		{"ascii", "alice", "alice"},
		{"20 letters", strings.Repeat("b", 20), strings.Repeat("b", 20)},
		{"20 code points", strings.Repeat("é", 20), strings.Repeat("é", 20)},
		{"punctuation allowed", "a.b-c_d", "a.b-c_d"},
		{"any script", "Ünïcödé", "Ünïcödé"},
		{"CJK", "日本語", "日本語"},
		{"combining mark", "Jose\u0301", "José"}, // normalised (NFKC)
		{"full-width", "ｆｕｌｌ", "full"},
		{"invisible removed", "a\u200Db", "ab"},
		{"other digits", "user٣", "user٣"},
		{"trimmed", "   spaced   ", "spaced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			watcher, away := watcher.For(t), away.For(t)
			c := apptest.Dial(t, srv.Telnet)
			c.Welcome()
			c.Send("")    // empty lines are ignored
			c.Send("   ") // so are blank ones
			c.Send(tc.in)
			c.Expect("<system> Logging in as "+tc.shown, joinLine(tc.shown))
			c.Send("/room")
			c.Expect(roomLine("chat"))
			watcher.Expect(joinLine(tc.shown))
			allQuiet(away)
			c.Conn.Close()
			watcher.Expect(leaveLine(tc.shown))
		})
	}
}

func TestJoinAndLeaveLines(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, carol := oneAway(t, srv, "alice", "carol", "Other")

	// Logging in: everyone in chat, the newcomer included (Login checks
	// the newcomer's own line); nobody elsewhere.
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	allQuiet(carol)

	// Switching: the old room hears the leave line, the new one the join
	// line, the words "the chat room" whatever the room.
	enter(bob, "bob", "Other")
	carol.Expect(joinLine("bob"))
	alice.Expect(leaveLine("bob"))
	allQuiet(alice, carol, bob)

	// Dropping the connection: the room hears it, nobody else.
	bob.Conn.Close()
	carol.Expect(leaveLine("bob"))
	allQuiet(alice, carol)
}

func TestMessages(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")

	tests := []struct {
		name, in string
		toRoom   string // what bob gets, "" for nothing
		toSender string // what alice gets, "" for nothing
	}{
		{"delivered without echo", "hi bob", "<alice> hi bob", ""},
		{"trimmed, inner spaces kept", "   a   b   ", "<alice> a   b", ""},
		{"450 characters", strings.Repeat("x", 450), "<alice> " + strings.Repeat("x", 450), ""},
		{"450 code points", strings.Repeat("ö", 450), "<alice> " + strings.Repeat("ö", 450), ""},
		{"451 characters", strings.Repeat("x", 451), "", lineTooLong},
		{"451 code points", strings.Repeat("ö", 451), "", lineTooLong},
		{"counted after removing invisibles", strings.Repeat("y", 450) + "\u200B\u200B", "<alice> " + strings.Repeat("y", 450), ""},
		{"empty line ignored", "", "", ""},
		{"blank line ignored", "  \t  ", "", ""},
		{"action: delivered without echo or tag", "/me waves", "* alice waves", ""},
		{"action: any case, inner spaces kept", "/ME   jumps   high  ", "* alice jumps   high", ""},
		{"action: 450 characters", "/me " + strings.Repeat("x", 450), "* alice " + strings.Repeat("x", 450), ""},
		{"action: 451 characters", "/me " + strings.Repeat("x", 451), "", lineTooLong},
		{"action: no text", "/me", "", lineNoAction},
		{"action: only spaces", "/me    ", "", lineNoAction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob, carol := alice.For(t), bob.For(t), carol.For(t)
			alice.Send(tc.in)
			if tc.toSender != "" {
				alice.Expect(tc.toSender)
			}
			alice.Quiet()
			if tc.toRoom != "" {
				bob.Expect(tc.toRoom)
			}
			allQuiet(bob, carol)
		})
	}
}

// The README's example plugin answers its author only.
func TestHelloBot(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	alice.Send("HELLO everyone")
	alice.Expect("<hellobot> Hello, alice")
	alice.Quiet()
	bob.Expect("<alice> HELLO everyone")
	bob.Quiet()
}

// Commands that answer only the user who typed them, and change nothing
// anyone else could see.
func TestCommandReplies(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	bystander, away := oneAway(t, srv, "bystander", "away", "Away")

	tests := []struct {
		name, in string
		want     []string
	}{
		{"room", "/room", []string{roomLine("chat")}},
		{"command word in any case", "/RoOm", []string{roomLine("chat")}},
		{"trailing spaces", "/room   ", []string{roomLine("chat")}},
		{"switch without a room", "/switch", []string{"<system> Please specify a room to switch to."}},
		{"switch with only spaces", "/switch     ", []string{"<system> Please specify a room to switch to."}},
		{"switch to the room you are in", "/switch chat", []string{"<system> You're already in the 'chat' room."}},
		{"switch to it in another case", "/switch CHAT", []string{"<system> You're already in the 'chat' room."}},
		{"switch to two words", "/switch Two Words", []string{lineBadRoom}},
		{"switch to a bad character", "/switch a!b", []string{lineBadRoom}},
		{"switch to 33 characters", "/switch " + strings.Repeat("r", 33), []string{lineBadRoom}},
		{"switch to a hash room", "/switch #general", []string{lineBadRoom}},
		{"unknown command", "/dance", []string{lineNoCommand}},
		{"slash alone", "/", []string{lineNoCommand}},
		{"space after the slash", "/ room", []string{lineNoCommand}},
		{"a plugin's name is no command", "/helperbot", []string{lineNoCommand}},
		{"whisper to nobody", "/w nobody hi", []string{lineNotFound}},
		{"whisper without a name", "/w", []string{lineNotFound}},
		{"unknown name before missing text", "/w nobody", []string{lineNotFound}},
		{"whisper without text", "/w away", []string{"<helperbot> Please specify a message to whisper."}},
		{"whisper with only spaces", "/w away     ", []string{"<helperbot> Please specify a message to whisper."}},
		{"kick, not an admin", "/kick away", []string{"<helperbot> You must be an admin to kick."}},
		{"kick without a name, not an admin", "/kick", []string{"<helperbot> You must be an admin to kick."}},
		{"ban, not an admin", "/ban away", []string{"<helperbot> You must be an admin to ban."}},
		{"unban, not an admin", "/unban away", []string{"<helperbot> You must be an admin to unban."}},
		{"unban without a name, not an admin", "/unban", []string{"<helperbot> You must be an admin to unban."}},
		{"users in chat: no admin", "/users", []string{"<helperbot> Current online users:", "<helperbot> 1. bystander", "<helperbot> 2. NAME"}},
		{"rooms", "/rooms", []string{"<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Away"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bystander, away := bystander.For(t), away.For(t)
			name := "u" + strconv.Itoa(i)
			c := apptest.Login(t, srv.Telnet, name)
			bystander.Expect(joinLine(name))
			c.Send(tc.in)
			for _, w := range tc.want {
				c.Expect(strings.ReplaceAll(w, "NAME", name))
			}
			c.Send("/room") // still where they were
			c.Expect(roomLine("chat"))
			allQuiet(c, bystander, away)
			c.Conn.Close()
			bystander.Expect(leaveLine(name))
		})
	}
}

// The help block of PROTOCOL.md, byte for byte, with helperbot alone; each
// further plugin adds its section.
func TestHelp(t *testing.T) {
	t.Parallel()
	block := []string{
		"<system> ",
		"\tsystem:",
		"\t\t1. /leave",
		"\t\t2. /room",
		"\t\t3. /switch",
		"\t\t4. /history",
		"\t\t5. /me",
		"\t\t6. /away",
		"\t\t7. /back",
		"\t\t8. /whois",
		"\t\t9. /ignore",
		"\t\t10. /unignore",
		"\t\t11. /motd",
		"\t\t12. /password",
		"\thelperbot:",
		"\t\t1. /users",
		"\t\t2. /kick",
		"\t\t3. /ban",
		"\t\t4. /w",
		"\t\t5. /rooms",
		"\t\t6. /unban",
		"\t\t7. /topic",
		"\t\t8. /op",
		"\t\t9. /deop",
		"\t\t10. /bans",
		"\t\t11. /mute",
		"\t\t12. /unmute",
		"\t\t13. /lock",
		"\t\t14. /unlock",
		"\t\t15. /invite",
		"\t\t16. /gban",
		"\t\t17. /gunban",
		"\t\t18. /gbans",
	}
	t.Run("helperbot", func(t *testing.T) {
		t.Parallel()
		cfg := apptest.Config(t)
		cfg.Plugins = []chat.Plugin{helperbot.New()}
		srv := apptest.Start(t, cfg)
		alice := apptest.Login(t, srv.Telnet, "alice")
		bob := apptest.Login(t, srv.Telnet, "bob")
		alice.Expect(joinLine("bob"))
		alice.Send("/help")
		alice.Expect(slices.Concat(block, []string{""})...)
		alice.Send("/HELP")
		alice.Expect(slices.Concat(block, []string{""})...)
		allQuiet(alice, bob)
	})
	t.Run("with hellobot", func(t *testing.T) {
		t.Parallel()
		srv := startNoFlood(t)
		alice := apptest.Login(t, srv.Telnet, "alice")
		alice.Send("/help")
		alice.Expect(slices.Concat(block, []string{"\thellobot:", ""})...)
		alice.Quiet()
	})
}

func TestSwitch(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "elsewhere")

	// A new room: created, shown as first written.
	enter(alice, "alice", "Lobby")
	bob.Expect(leaveLine("alice"))
	allQuiet(carol)

	// An existing room, in another case, with a run of spaces.
	bob.Send("/SWITCH    LOBBY")
	bob.Expect(switchedLine("Lobby"), joinLine("bob"))
	alice.Expect(joinLine("bob"))
	allQuiet(carol)
	bob.Send("/room")
	bob.Expect(roomLine("Lobby"))

	// Already there: that line and nothing else.
	bob.Send("/switch lobby")
	bob.Expect("<system> You're already in the 'Lobby' room.")
	allQuiet(alice, bob, carol)

	// The longest room name there is.
	long := strings.Repeat("r", 32)
	enter(bob, "bob", long)
	alice.Expect(leaveLine("bob"))
	allQuiet(carol)

	// The creator is the room's admin.
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)")
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. bob (admin)")
	allQuiet(alice, bob, carol)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	carol := apptest.Login(t, srv.Telnet, "carol")
	alice.Expect(joinLine("carol"))
	bob.Expect(joinLine("carol"))
	enter(alice, "alice", "den")
	bob.Expect(leaveLine("alice"))
	carol.Expect(leaveLine("alice"))
	enter(bob, "bob", "den")
	alice.Expect(joinLine("bob"))
	carol.Expect(leaveLine("bob"))
	enter(carol, "carol", "den")
	alice.Expect(joinLine("carol"))
	bob.Expect(joinLine("carol"))

	users := func(c *apptest.Client, want ...string) {
		c.Send("/users")
		c.Expect("<helperbot> Current online users:")
		for i, w := range want {
			c.Expect("<helperbot> " + strconv.Itoa(i+1) + ". " + w)
		}
	}
	users(bob, "alice (admin)", "bob", "carol")
	allQuiet(alice, bob, carol)

	// Leaving and coming back: last in the order, still the admin.
	alice.Send("/switch chat")
	alice.Expect(switchedLine("chat"), joinLine("alice"))
	bob.Expect(leaveLine("alice"))
	carol.Expect(leaveLine("alice"))
	alice.Send("/switch DEN")
	alice.Expect(switchedLine("den"), joinLine("alice"))
	bob.Expect(joinLine("alice"))
	carol.Expect(joinLine("alice"))
	users(carol, "bob", "carol", "alice (admin)")

	// Logging out and in again, in another case: the admin for good,
	// shown as logged in now.
	alice.Conn.Close()
	bob.Expect(leaveLine("alice"))
	carol.Expect(leaveLine("alice"))
	again := apptest.Login(t, srv.Telnet, "ALICE")
	enter(again, "ALICE", "den")
	bob.Expect(joinLine("ALICE"))
	carol.Expect(joinLine("ALICE"))
	users(again, "bob", "carol", "ALICE (admin)")
	allQuiet(again, bob, carol)
}

func TestRooms(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	for _, r := range []string{"Zeta", "alpha", "Mid"} {
		enter(alice, "alice", r)
	}
	enter(alice, "alice", "chat") // every room but chat now empty
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	want := []string{"<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Zeta", "<helperbot> 3. alpha", "<helperbot> 4. Mid"}
	bob.Send("/rooms")
	bob.Expect(want...)
	allQuiet(alice, bob)

	// A room is shown as first created, whoever names it how.
	bob.Send("/switch ZETA")
	bob.Expect(switchedLine("Zeta"), joinLine("bob"))
	alice.Expect(leaveLine("bob"))
	bob.Send("/rooms")
	bob.Expect(want...)
	allQuiet(alice, bob)
}

// Rooms are never removed: an empty room keeps its admin and its bans.
func TestEmptyRoomKeepsAdminAndBans(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	enter(alice, "alice", "vault")
	bob.Expect(leaveLine("alice"))
	enter(bob, "bob", "vault")
	alice.Expect(joinLine("bob"))
	alice.Send("/ban bob")
	bob.Expect(joinLine("bob"), "<helperbot> You've been banned from the 'vault' room. You've been returned to 'chat'.")
	alice.Expect(leaveLine("bob"), confirmLine("bob", "banned", "vault"))
	enter(alice, "alice", "chat") // vault is empty now
	bob.Expect(joinLine("alice"))
	bob.Send("/rooms")
	bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. vault")
	bob.Send("/switch vault")
	bob.Expect("<helperbot> You're banned from this room and cannot join.")
	alice.Send("/switch vault")
	alice.Expect(switchedLine("vault"), joinLine("alice"))
	bob.Expect(leaveLine("alice"))
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)")
	allQuiet(alice, bob)
}

// TestRoomsPerHour: past --rooms-per-hour new rooms an hour, /switch to a
// room that does not exist gets one line and nothing else, for that name
// and for anyone from that address; existing rooms stay open.
func TestRoomsPerHour(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t) // at the default, 5
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob") // from the same address
	alice.Expect(joinLine("bob"))
	for i := range chat.DefaultRoomsPerHour {
		enter(alice, "alice", "r"+strconv.Itoa(i))
		if i == 0 {
			bob.Expect(leaveLine("alice"))
		}
	}
	const tooFast = "<system> You've created too many rooms lately, please use an existing one."
	for _, c := range []*apptest.Client{alice, bob} {
		c.Send("/switch another")
		c.Expect(tooFast)
		allQuiet(alice, bob)
	}
	alice.Send("/room")
	alice.Expect(roomLine("r4"))
	enterRoom(bob, "bob", "R0", "r0")
	bob.Send("/rooms")
	bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. r0", "<helperbot> 3. r1",
		"<helperbot> 4. r2", "<helperbot> 5. r3", "<helperbot> 6. r4")
	allQuiet(alice, bob)
}

func TestWhisper(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	carol := apptest.Login(t, srv.Telnet, "carol") // in alice's room
	alice.Expect(joinLine("carol"))
	bob := apptest.Login(t, srv.Telnet, "Bob")
	alice.Expect(joinLine("Bob"))
	carol.Expect(joinLine("Bob"))
	enter(bob, "Bob", "far") // whispers reach wherever you are
	alice.Expect(leaveLine("Bob"))
	carol.Expect(leaveLine("Bob"))
	ed := apptest.Login(t, srv.Telnet, "ed") // in bob's room: hears nothing
	alice.Expect(joinLine("ed"))
	carol.Expect(joinLine("ed"))
	enter(ed, "ed", "far")
	alice.Expect(leaveLine("ed"))
	carol.Expect(leaveLine("ed"))
	bob.Expect(joinLine("ed"))

	tests := []struct {
		name, in string
		toBob    string // "" for nothing
		toAlice  string // "" for nothing
	}{
		{"delivered", "/w Bob psst", "<helperbot> alice whispered to you: psst", ""},
		{"name in any case", "/w bOB psst", "<helperbot> alice whispered to you: psst", ""},
		{"command in any case", "/W bob psst", "<helperbot> alice whispered to you: psst", ""},
		{"inner spaces kept", "/w   bob    a  b   c   ", "<helperbot> alice whispered to you: a  b   c", ""},
		{"450 characters", "/w bob " + strings.Repeat("w", 450), "<helperbot> alice whispered to you: " + strings.Repeat("w", 450), ""},
		{"451 characters", "/w bob " + strings.Repeat("w", 451), "", lineTooLong},
		{"451 code points", "/w bob " + strings.Repeat("ä", 451), "", lineTooLong},
		{"nobody by that name", "/w bobby hi", "", lineNotFound},
		{"no name", "/w", "", lineNotFound},
		{"no name, spaces", "/w    ", "", lineNotFound},
		{"unknown name before missing text", "/w bobby", "", lineNotFound},
		{"no text", "/w bob", "", "<helperbot> Please specify a message to whisper."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob, carol, ed := alice.For(t), bob.For(t), carol.For(t), ed.For(t)
			alice.Send(tc.in)
			if tc.toAlice != "" {
				alice.Expect(tc.toAlice)
			}
			alice.Quiet()
			if tc.toBob != "" {
				bob.Expect(tc.toBob)
			}
			allQuiet(bob, carol, ed)
		})
	}
}

// adminRoom is 'den', a room alice created, with bob and carol in it;
// dave is in chat.
type adminRoom struct {
	srv                     *apptest.Server
	alice, bob, carol, dave *apptest.Client
}

func newAdminRoom(t *testing.T) *adminRoom {
	t.Helper()
	srv := startNoFlood(t)
	d := &adminRoom{srv: srv, dave: apptest.Login(t, srv.Telnet, "dave")}
	d.alice = apptest.Login(t, srv.Telnet, "alice")
	d.dave.Expect(joinLine("alice"))
	enter(d.alice, "alice", "den")
	d.dave.Expect(leaveLine("alice"))
	d.bob = apptest.Login(t, srv.Telnet, "bob")
	d.dave.Expect(joinLine("bob"))
	enter(d.bob, "bob", "den")
	d.dave.Expect(leaveLine("bob"))
	d.alice.Expect(joinLine("bob"))
	d.carol = apptest.Login(t, srv.Telnet, "carol")
	d.dave.Expect(joinLine("carol"))
	enter(d.carol, "carol", "den")
	d.dave.Expect(leaveLine("carol"))
	d.alice.Expect(joinLine("carol"))
	d.bob.Expect(joinLine("carol"))
	return d
}

// For returns d reporting failures to t, for a subtest.
func (d *adminRoom) For(t *testing.T) *adminRoom {
	return &adminRoom{srv: d.srv, alice: d.alice.For(t), bob: d.bob.For(t), carol: d.carol.For(t), dave: d.dave.For(t)}
}

func (d *adminRoom) quiet() { allQuiet(d.alice, d.bob, d.carol, d.dave) }

// inDen returns the users d starts with in den, by name.
func (d *adminRoom) inDen() map[string]*apptest.Client {
	return map[string]*apptest.Client{"alice": d.alice, "bob": d.bob, "carol": d.carol}
}

// removed checks what the room hears when who, one of den's three, is
// kicked or banned (how) from it by alice, its admin: who is back in chat
// and told so, the other two hear the leave line, alice then her
// confirmation (none when she kicked herself), chat (dave) the join line.
func (d *adminRoom) removed(who, how string) {
	for name, c := range d.inDen() {
		switch {
		case name == who:
			c.Expect(joinLine(who), "<helperbot> You've been "+how+" from the 'den' room. You've been returned to 'chat'.")
		case name == "alice":
			c.Expect(leaveLine(who), confirmLine(who, how, "den"))
		default:
			c.Expect(leaveLine(who))
		}
	}
	d.dave.Expect(joinLine(who))
}

// confirmLine is what an admin is told once who is kicked or banned (how)
// from room.
func confirmLine(who, how, room string) string {
	if how == "kicked" {
		return "<helperbot> " + who + " was kicked from '" + room + "'."
	}
	return "<helperbot> " + who + " is banned from '" + room + "'."
}

// returns switches who, back in chat, to den again: den hears the join,
// chat (dave) the leave, nobody anything else.
func (d *adminRoom) returns(who string) {
	den := d.inDen()
	den[who].Send("/switch den")
	for name, c := range den {
		if name == who {
			c.Expect(switchedLine("den"), joinLine(who))
		} else {
			c.Expect(joinLine(who))
		}
	}
	d.dave.Expect(leaveLine(who))
	d.quiet()
}

func TestKick(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol := d.alice, d.bob, d.carol

	// Not an admin of the room.
	bob.Send("/kick carol")
	bob.Expect("<helperbot> You must be an admin to kick.")
	d.quiet()
	// Nobody by that name in the admin's room.
	for _, in := range []string{"/kick dave", "/kick nobody", "/kick", "/kick    "} {
		alice.Send(in)
		alice.Expect(lineNotFound)
		d.quiet()
	}

	// Kicked, in another case, further arguments ignored: the room hears
	// the leave line, chat the join line, then carol is told.
	alice.Send("/kick CAROL because   reasons")
	d.removed("carol", "kicked")
	carol.Send("/room")
	carol.Expect(roomLine("chat"))
	d.quiet()

	// A kick is no ban: carol may come back.
	d.returns("carol")
}

func TestAdminKicksThemselves(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	d.alice.Send("/kick alice")
	d.removed("alice", "kicked")
	d.quiet()
	// Still the admin when back.
	d.returns("alice")
	d.alice.Send("/kick bob")
	d.removed("bob", "kicked")
	d.quiet()
}

func TestBan(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, carol, dave := d.alice, d.bob, d.carol, d.dave

	bob.Send("/ban carol")
	bob.Expect("<helperbot> You must be an admin to ban.")
	d.quiet()
	// No name, or one nobody could log in with (too long, ill-formed,
	// reserved or like a reserved one): nobody to ban.
	for _, in := range []string{"/ban", "/ban    ", "/ban abcdefghijklmnopqrstu", "/ban bad!name", "/ban SYSTEM", "/ban helperb0t"} {
		alice.Send(in)
		alice.Expect(lineNotFound)
		d.quiet()
	}

	alice.Send("/ban Carol for good") // not a DURATION: nobody is banned
	alice.Expect(lineDurations)
	d.quiet()
	alice.Send("/ban Carol")
	d.removed("carol", "banned")
	d.quiet()

	// Banned: that line and nothing else, whatever the case, from
	// wherever carol is; she stays there.
	for _, room := range []string{"den", "DEN"} {
		carol.Send("/switch " + room)
		carol.Expect("<helperbot> You're banned from this room and cannot join.")
		d.quiet()
	}
	enter(carol, "carol", "patio")
	dave.Expect(leaveLine("carol"))
	carol.Send("/switch den")
	carol.Expect("<helperbot> You're banned from this room and cannot join.")
	carol.Send("/room")
	carol.Expect(roomLine("patio"))
	d.quiet()

	// Kept by name across reconnects, in any case.
	carol.Conn.Close()
	again := apptest.Login(t, d.srv.Telnet, "CAROL")
	dave.Expect(joinLine("CAROL"))
	again.Send("/switch den")
	again.Expect("<helperbot> You're banned from this room and cannot join.")
	allQuiet(again, alice, bob, dave)

	// An admin of the room cannot be banned from it, themselves included,
	// in any case: that line to the admin, and nothing changes.
	for _, in := range []string{"/ban alice", "/ban ALICE 2h"} {
		alice.Send(in)
		alice.Expect("<helperbot> You cannot ban an admin of 'den'.")
		allQuiet(alice, bob, dave, again)
	}
	alice.Send("/room")
	alice.Expect(roomLine("den"))
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)", "<helperbot> 2. bob")
	// A kick of oneself is still allowed, and the way back stays open.
	alice.Send("/kick alice")
	alice.Expect(joinLine("alice"), "<helperbot> You've been kicked from the 'den' room. You've been returned to 'chat'.")
	bob.Expect(leaveLine("alice"))
	dave.Expect(joinLine("alice"))
	again.Expect(joinLine("alice"))
	alice.Send("/switch den")
	alice.Expect(switchedLine("den"), joinLine("alice"))
	bob.Expect(joinLine("alice"))
	dave.Expect(leaveLine("alice"))
	again.Expect(leaveLine("alice"))
	allQuiet(alice, bob, dave, again)
}

// A name not in the room is banned all the same, online elsewhere or not
// at all: the admin is told, nobody else hears of it, and the name and its
// look-alikes are kept out when they come. A second ban of a name keeps
// the first, as it was banned.
func TestBanNameNotInRoom(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, dave := d.alice, d.dave

	alice.Send("/ban DAVE") // online, in chat: shown as he logged in
	alice.Expect(confirmLine("dave", "banned", "den"))
	d.quiet()
	dave.Send("/room")
	dave.Expect(roomLine("chat"))
	dave.Send("/switch den")
	dave.Expect("<helperbot> You're banned from this room and cannot join.")
	d.quiet()

	alice.Send("/ban Troll") // offline: shown as typed
	alice.Expect(confirmLine("Troll", "banned", "den"))
	d.quiet()
	for _, name := range []string{"troll", "tr0ll"} {
		c := apptest.Login(t, d.srv.Telnet, name)
		dave.Expect(joinLine(name))
		c.Send("/switch DEN")
		c.Expect("<helperbot> You're banned from this room and cannot join.")
		c.Send("/room")
		c.Expect(roomLine("chat"))
		allQuiet(c, alice, dave)
		c.Send("/leave")
		c.Closed()
		dave.Expect(leaveLine(name))
	}

	alice.Send("/ban troll")
	alice.Expect(confirmLine("Troll", "banned", "den"))
	d.quiet()
	alice.Send("/unban troll")
	alice.Expect("<helperbot> Troll is no longer banned from 'den'.")
	alice.Send("/unban troll")
	alice.Expect("<helperbot> troll is not banned from 'den'.")
	d.quiet()
}

func TestUnban(t *testing.T) {
	t.Parallel()
	d := newAdminRoom(t)
	alice, bob, dave := d.alice, d.bob, d.dave
	alice.Send("/ban carol")
	d.removed("carol", "banned")

	tests := []struct {
		name string
		who  *apptest.Client
		in   string
		want string
	}{
		{"not an admin", bob, "/unban carol", "<helperbot> You must be an admin to unban."},
		{"not an admin, no name", bob, "/unban", "<helperbot> You must be an admin to unban."},
		{"no name", alice, "/unban", "<helperbot> Please specify a username to unban."},
		{"no name, spaces", alice, "/unban    ", "<helperbot> Please specify a username to unban."},
		{"not banned, offline", alice, "/unban zed", "<helperbot> zed is not banned from 'den'."},
		{"not banned, online, shown as logged in", alice, "/unban DAVE", "<helperbot> dave is not banned from 'den'."},
		{"nobody is an admin of chat", dave, "/unban carol", "<helperbot> You must be an admin to unban."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, who := d.For(t), tc.who.For(t)
			who.Send(tc.in)
			who.Expect(tc.want)
			d.quiet()
		})
	}

	// Lifted, to the admin only, the name as it was when banned; carol may
	// come back, and a second unban finds nothing.
	alice.Send("/unban CAROL and more")
	alice.Expect("<helperbot> carol is no longer banned from 'den'.")
	d.quiet()
	alice.Send("/unban carol")
	alice.Expect("<helperbot> carol is not banned from 'den'.")
	d.quiet()
	d.returns("carol")
}

// The name of someone banned while offline is shown as it was when banned.
func TestUnbanShowsNameAsBanned(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice := apptest.Login(t, srv.Telnet, "alice")
	enter(alice, "alice", "den")
	mike := apptest.Login(t, srv.Telnet, "Mike")
	enter(mike, "Mike", "den")
	alice.Expect(joinLine("Mike"))
	alice.Send("/ban mike")
	mike.Expect(joinLine("Mike"), "<helperbot> You've been banned from the 'den' room. You've been returned to 'chat'.")
	alice.Expect(leaveLine("Mike"), confirmLine("Mike", "banned", "den"))
	mike.Conn.Close()
	alice.Send("/unban MIKE")
	alice.Expect("<helperbot> Mike is no longer banned from 'den'.")
	alice.Quiet()
}

func TestLeave(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")

	// What follows /leave in the same write is never handled.
	alice.SendRaw([]byte("/LEAVE\r\nnot delivered\r\n"))
	alice.ExpectClosed("<system> Leaving chat room.")
	bob.Expect(leaveLine("alice"))
	allQuiet(bob, carol)

	// The name is free again.
	again := apptest.Login(t, srv.Telnet, "alice")
	bob.Expect(joinLine("alice"))
	allQuiet(again, bob, carol)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob := oneAway(t, srv, "alice", "bob", "other")
	prompt := apptest.Dial(t, srv.Telnet) // not logged in yet
	prompt.Welcome()
	srv.Stop(t)
	// Everyone gets the one line, then the connection closes: no leave lines.
	for _, c := range []*apptest.Client{alice, bob, prompt} {
		c.ExpectClosed(lineShutdown)
	}
}

var historyRe = regexp.MustCompile(`^<system> \[(\d\d:\d\d)\] <([^>]+)> (.*)$`)

func TestHistory(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	alice, bob, carol := twoAndOneAway(t, srv, "other")

	from := time.Now()
	var b strings.Builder
	for i := range 205 {
		fmt.Fprintf(&b, "message %d\r\n", i)
	}
	alice.SendRaw([]byte(b.String()))
	alice.Send("/w bob a whisper is no room message")
	carol.Send("said in another room")
	alice.Quiet()
	carol.Quiet()
	bob.Until("<alice> message 204")
	bob.Expect("<helperbot> alice whispered to you: a whisper is no room message")
	to := time.Now()

	check := func(c *apptest.Client, in string, first, n int) {
		t.Helper()
		c.Send(in)
		for i := range n {
			l := c.Next()
			m := historyRe.FindStringSubmatch(l)
			if m == nil || m[2] != "alice" || m[3] != "message "+strconv.Itoa(first+i) {
				t.Fatalf("%s: line %d is %q, want alice's message %d", in, i, l, first+i)
			}
			if hm := m[1]; hm != from.Format("15:04") && hm != to.Format("15:04") {
				t.Errorf("%s: time %s, want the server's local time, %s to %s", in, hm, from.Format("15:04"), to.Format("15:04"))
			}
		}
	}
	check(bob, "/history", 185, 20)
	check(bob, "/history 3", 202, 3)
	check(bob, "/HISTORY    1", 204, 1)
	check(bob, "/history 200", 5, 200)
	for _, in := range []string{"/history 201", "/history 1000", "/history 0", "/history x"} {
		bob.Send(in)
		bob.Expect("<system> Usage: /history [N], N a number of messages from 1 to 200.")
	}
	allQuiet(alice, bob, carol)
	// Each room has its own.
	carol.Send("/history")
	if l := carol.Next(); !historyRe.MatchString(l) || !strings.HasSuffix(l, "<carol> said in another room") {
		t.Errorf("carol's room history: %q", l)
	}
	allQuiet(alice, bob, carol)
}

func TestTooManyConnections(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.MaxConnsPerIP = 2
	srv := apptest.Start(t, cfg)
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	third := apptest.Dial(t, srv.Telnet)
	third.ExpectClosed("<system> Too many connections, please try again later.")
	allQuiet(alice, bob)
	// Once one leaves, there is room again.
	bob.Send("/leave")
	bob.ExpectClosed("<system> Leaving chat room.")
	alice.Expect(leaveLine("bob"))
	apptest.Eventually(t, "a new connection is admitted", func() bool {
		c := apptest.Dial(t, srv.Telnet)
		defer c.Conn.Close()
		return c.Next() == "<system> Welcome to the chat room!"
	})
}

// oneAway logs in here, who stays in chat, and away, who moves to room;
// here sees away come and go.
func oneAway(t *testing.T, srv *apptest.Server, here, away, room string) (h, a *apptest.Client) {
	t.Helper()
	h = apptest.Login(t, srv.Telnet, here)
	a = apptest.Login(t, srv.Telnet, away)
	h.Expect(joinLine(away))
	enter(a, away, room)
	h.Expect(leaveLine(away))
	return h, a
}

// twoAndOneAway logs alice and bob in, who stay in chat, and carol, who moves to
// room: the cast of a test that proves who hears a line and who does not.
func twoAndOneAway(t *testing.T, srv *apptest.Server, room string) (alice, bob, carol *apptest.Client) {
	t.Helper()
	alice = apptest.Login(t, srv.Telnet, "alice")
	bob = apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))
	carol = apptest.Login(t, srv.Telnet, "carol")
	alice.Expect(joinLine("carol"))
	bob.Expect(joinLine("carol"))
	enter(carol, "carol", room)
	alice.Expect(leaveLine("carol"))
	bob.Expect(leaveLine("carol"))
	return alice, bob, carol
}
