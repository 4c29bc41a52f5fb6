package tui

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/store"
)

// newHub returns a hub with the helper bot on an in-memory store.
func newHub(tb testing.TB) (*chat.Hub, *store.Memory) {
	tb.Helper()
	st := store.NewMemory(5000)
	h, err := chat.New(tb.Context(), chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	if err != nil {
		tb.Fatal(err)
	}
	return h, st
}

// login logs name in; roster as the SSH door does for the UI.
func login(tb testing.TB, h *chat.Hub, name string, roster bool) *chat.Session {
	tb.Helper()
	s, err := h.Login(tb.Context(), name, chat.LoginOptions{Door: "test", Outbox: chat.NewOutbox(0), Roster: roster})
	if err != nil {
		tb.Fatalf("Login(%q): %v", name, err)
	}
	tb.Cleanup(s.Close)
	return s
}

// ui is a model under test with its session.
type ui struct {
	tb   testing.TB
	m    *Model
	sess *chat.Session
}

func newUI(tb testing.TB, h *chat.Hub, name string, w, hgt int) *ui {
	tb.Helper()
	s := login(tb, h, name, true)
	m := New(Config{Ctx: tb.Context(), Hub: h, Session: s, Width: w, Height: hgt, FloodBurst: 20, FloodRate: 5})
	u := &ui{tb: tb, m: m, sess: s}
	u.pump()
	return u
}

// pump delivers what the session's outbox holds as one drain, as the
// program does on a readyMsg, and returns the Update's Cmd.
func (u *ui) pump() tea.Cmd {
	evs, dropped, closed := u.sess.Outbox().Drain(nil)
	if len(evs) == 0 && dropped == 0 && !closed {
		return nil
	}
	_, cmd := u.m.Update(eventsMsg{evs, dropped, closed})
	return cmd
}

// send runs what a Cmd from typing did: Session.Input, then the sentMsg.
func (u *ui) send(cmd tea.Cmd) {
	u.tb.Helper()
	if cmd == nil {
		u.tb.Fatal("no Cmd to send the line")
	}
	msg := cmd()
	if _, ok := msg.(sentMsg); !ok {
		u.tb.Fatalf("Cmd returned %T, want sentMsg", msg)
	}
	u.m.Update(msg)
}

func (u *ui) key(k tea.KeyPressMsg) tea.Cmd {
	_, cmd := u.m.Update(k)
	return cmd
}

// typ types s without pressing Enter.
func (u *ui) typ(s string) {
	for _, r := range s {
		u.key(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// say types line and presses Enter, and lets the engine handle it.
func (u *ui) say(line string) {
	u.tb.Helper()
	u.typ(line)
	u.send(u.key(tea.KeyPressMsg{Code: tea.KeyEnter}))
	u.pump()
}

func (u *ui) resize(w, h int) { u.m.Update(tea.WindowSizeMsg{Width: w, Height: h}) }

// screen returns the view without styling.
func (u *ui) screen() string { return ansi.Strip(u.m.View().Content) }

func (u *ui) contains(want ...string) {
	u.tb.Helper()
	scr := u.screen()
	for _, w := range want {
		if !strings.Contains(scr, w) {
			u.tb.Errorf("screen lacks %q:\n%s", w, scr)
		}
	}
}

func (u *ui) matches(re string) {
	u.tb.Helper()
	if scr := u.screen(); !regexp.MustCompile(re).MatchString(scr) {
		u.tb.Errorf("screen does not match %q:\n%s", re, scr)
	}
}

func (u *ui) lacksMatch(re string) {
	u.tb.Helper()
	if scr := u.screen(); regexp.MustCompile(re).MatchString(scr) {
		u.tb.Errorf("screen matches %q:\n%s", re, scr)
	}
}

func (u *ui) lacks(unwanted ...string) {
	u.tb.Helper()
	scr := u.screen()
	for _, w := range unwanted {
		if strings.Contains(scr, w) {
			u.tb.Errorf("screen shows %q:\n%s", w, scr)
		}
	}
}

var (
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyTab   = tea.KeyPressMsg{Code: tea.KeyTab}
	keyPgUp  = tea.KeyPressMsg{Code: tea.KeyPgUp}
	keyPgDn  = tea.KeyPressMsg{Code: tea.KeyPgDown}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	keyCtrlN = tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}
	keyCtrlP = tea.KeyPressMsg{Code: 'p', Mod: tea.ModCtrl}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
)

func TestPanes(t *testing.T) {
	h, _ := newHub(t)
	carol := login(t, h, "carol", false)
	carol.Input(t.Context(), "/switch games")
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "said before alice came")
	u := newUI(t, h, "alice", 120, 40)
	bob.Input(t.Context(), "hi there")
	u.pump()
	u.contains("Rooms", "▸ chat", "games", "Users (2)", "bob", "alice*",
		"bob: said before alice came", "bob: hi there", "Logging in as alice",
		"alice has joined the chat room!", " alice │ #chat │ 2 here", "^C quit")
	u.say("my own words")
	u.contains("alice: my own words")
	if n := strings.Count(u.screen(), "said before alice came"); n != 1 {
		t.Errorf("the message said before login shows %d times, want 1", n)
	}
	bob.Input(t.Context(), "/switch games")
	u.pump()
	u.contains("Users (1)", "1 here")
}

func TestAdminMarked(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 120, 40)
	u.say("/switch den")
	u.contains("▸ den", "@alice*", "Switched to room 'den'")
}

func TestFrameGeometry(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 80, 24)
	for i := range 50 {
		bob.Input(t.Context(), fmt.Sprintf("message %d with some words to wrap around the pane %s", i, strings.Repeat("long ", i%7)))
	}
	bob.Input(t.Context(), "/switch a-room-with-a-rather-long-name")
	u.pump()
	for _, size := range [][2]int{{80, 24}, {200, 60}, {120, 40}, {59, 20}, {60, 20}, {30, 10}, {10, 3}, {5, 1}} {
		w, hgt := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, hgt), func(t *testing.T) {
			u.resize(w, hgt)
			lines := strings.Split(u.screen(), "\n")
			if len(lines) != hgt {
				t.Fatalf("%d lines, want %d", len(lines), hgt)
			}
			for i, l := range lines[:len(lines)-1] {
				if got := ansi.StringWidth(l); got != w {
					t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, l)
				}
			}
			if last := ansi.StringWidth(lines[len(lines)-1]); last > w {
				t.Errorf("input line is %d cells wide, more than %d", last, w)
			}
		})
	}
}

func TestNarrowHidesSidePanes(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 120, 30)
	bob.Input(t.Context(), "hello narrow world")
	u.pump()
	u.contains("Rooms", "Users (2)")
	u.resize(50, 20)
	u.contains("bob: hello narrow world")
	u.lacks("Rooms", "Users (2)", "│ bob")
	u.resize(SideMinWidth, 20)
	u.contains("Rooms", "Users (2)", "bob: hello narrow world")
}

func TestInputHistory(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	u.say("first")
	u.say("second")
	u.typ("draft")
	steps := []struct {
		key  tea.KeyPressMsg
		want string
	}{
		{keyUp, "second"},
		{keyUp, "first"},
		{keyUp, "first"},
		{keyDown, "second"},
		{keyDown, "draft"},
		{keyDown, "draft"},
	}
	for i, s := range steps {
		u.key(s.key)
		if got := u.m.input.in.Value(); got != s.want {
			t.Errorf("step %d: input = %q, want %q", i, got, s.want)
		}
	}
}

// TestInputHistoryNoPassword: a /password line is sent but not kept for ↑.
func TestInputHistoryNoPassword(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	u.say("first")
	u.say("/PASSWORD hunter2hunter2")
	u.key(keyUp)
	if got := u.m.input.in.Value(); got != "first" {
		t.Errorf("↑ after /password = %q, want %q", got, "first")
	}
	if !h.Protected("alice") {
		t.Errorf("alice is not protected: the /password line did not reach the engine")
	}
}

func TestTabCompletion(t *testing.T) {
	h, _ := newHub(t)
	login(t, h, "bobby", false)
	login(t, h, "bob", false).Input(t.Context(), "/switch games")
	u := newUI(t, h, "alice", 80, 24)
	login(t, h, "bernard", false)
	u.pump()
	u.tabs(t, []tabCase{
		{"command", "/sw", 1, "/switch "},
		{"command case", "/SWI", 1, "/switch "},
		{"command cycles", "/h", 1, "/history"},
		{"command cycles twice", "/h", 2, "/help"},
		{"/me", "/me", 1, "/me "},
		{"/me before /motd and /mute", "/m", 1, "/me"},
		{"/away", "/aw", 1, "/away "},
		{"/back before /ban", "/ba", 1, "/back"},
		{"room after switch", "/switch ga", 1, "/switch games "},
		{"user", "hi bo", 1, "hi bobby "},
		{"user cycles", "hi b", 2, "hi bernard"},
		{"whisper", "/w ber", 1, "/w bernard "},
		{"no match", "hi zz", 1, "hi zz"},
		{"empty", "", 1, ""},
	})
}

// tabCase is a line typed, then Tab pressed a number of times, and the
// line that should result.
type tabCase struct {
	name, typed string
	tabs        int
	want        string
}

// tabs runs each of cases on an empty input line.
func (u *ui) tabs(t *testing.T, cases []tabCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u.m.input.in.Reset()
			u.typ(tc.typed)
			for range tc.tabs {
				u.key(keyTab)
			}
			if got := u.m.input.in.Value(); got != tc.want {
				t.Errorf("%q + %d×Tab = %q, want %q", tc.typed, tc.tabs, got, tc.want)
			}
		})
	}
}

// fill makes bob say n numbered lines in his room and delivers them.
func fill(t *testing.T, u *ui, bob *chat.Session, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		bob.Input(t.Context(), fmt.Sprintf("line-%03d", i))
	}
	u.pump()
}

func TestScrollKeepsBottom(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 80, 24)
	fill(t, u, bob, 0, 100)
	u.contains("line-099")
	fill(t, u, bob, 100, 1)
	u.contains("line-100") // at the bottom, new messages show

	u.key(keyPgUp)
	u.lacks("line-100")
	u.contains("line-078", "↓ latest (Esc)") // scrolled back, nothing new yet: no "0 new"
	u.lacks("↓ 0 new")
	fill(t, u, bob, 101, 2)
	u.lacks("line-102") // scrolled back: the view stays put
	u.contains("line-078", "↓ 2 new")

	u.m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	u.contains("line-081")
	u.key(keyPgDn)
	u.key(keyPgDn)
	u.contains("line-102") // back at the bottom
	u.lacks("new (Esc)")
	fill(t, u, bob, 103, 1)
	u.contains("line-103")

	u.m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	u.lacks("line-103")
	u.key(keyEsc)
	u.contains("line-103")
}

func TestScrollBackLoadsOlder(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	for i := range 350 {
		bob.Input(t.Context(), fmt.Sprintf("line-%03d", i))
	}
	u := newUI(t, h, "alice", 80, 24)
	if n := len(u.m.msgs.entries); n > recentLen+5 {
		t.Fatalf("%d entries on entering, want about %d", n, recentLen)
	}
	var loads int
	for range 100 {
		cmd := u.key(keyPgUp)
		if cmd == nil {
			continue
		}
		loads++
		u.m.Update(cmd())
		if strings.Contains(u.screen(), "line-000") {
			break
		}
	}
	u.contains("line-000")
	if loads < 2 {
		t.Errorf("%d loads of older messages, want at least 2", loads)
	}
	for i := 1; i < len(u.m.msgs.entries); i++ {
		if u.m.msgs.entries[i].at < u.m.msgs.entries[i-1].at {
			t.Fatalf("entries out of order at %d", i)
		}
	}
	if cmd := u.key(keyPgUp); cmd != nil {
		t.Errorf("scrolling at the top of the whole history loads again")
	}
	u.key(keyEsc)
	u.contains("line-349")
}

func TestBurstIsOneUpdate(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 120, 40)
	for i := range 1000 {
		bob.Input(t.Context(), fmt.Sprintf("burst-%04d", i))
	}
	evs, _, _ := u.sess.Outbox().Drain(nil)
	if len(evs) != 1000 {
		t.Fatalf("outbox held %d events, want 1000", len(evs))
	}
	u.m.Update(eventsMsg{evs: evs})
	u.contains("burst-0999", "burst-0970")
	rendered := 0
	for _, en := range u.m.msgs.entries {
		if en.lines != nil {
			rendered++
		}
	}
	if rendered > 60 {
		t.Errorf("%d messages styled for one frame of 38 lines", rendered)
	}
	for i := range 3000 {
		bob.Input(t.Context(), fmt.Sprintf("more-%04d", i))
		if i%500 == 0 {
			u.pump()
		}
	}
	u.pump()
	if n := len(u.m.msgs.entries); n > maxLive+maxLive/4 {
		t.Errorf("%d entries kept, want at most %d", n, maxLive+maxLive/4)
	}
	u.contains("more-2999")
}

// TestActionAndAway: actions are drawn "* NAME TEXT", those said before
// the screen opened too; a user who is away is shown with the reason in
// the users pane until they say something.
func TestActionAndAway(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/me was here first")
	u := newUI(t, h, "alice", 120, 40)
	u.contains("* bob was here first")
	bob.Input(t.Context(), "/me waves")
	bob.Input(t.Context(), "/away brb")
	u.pump()
	u.contains("* bob waves", "bob (brb)")
	bob.Input(t.Context(), "/me is back")
	u.pump()
	u.contains("* bob is back")
	if strings.Contains(u.m.View().Content, "(brb)") {
		t.Error("bob still shown away after an action")
	}
}

func TestDroppedNotice(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 120, 40)
	u.m.Update(eventsMsg{dropped: 256})
	u.contains(chat.DroppedText(256))
}

func TestMentionRingsBell(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 120, 40)
	bob.Input(t.Context(), "no bell for malice")
	if u.hasBell(u.pump()) {
		t.Error("a word containing the name rang the bell")
	}
	bob.Input(t.Context(), "hey Alice, look")
	if !u.hasBell(u.pump()) {
		t.Error("a mention did not ring the bell")
	}
	if !strings.Contains(u.m.View().Content, u.m.th.mention+": hey Alice, look") {
		t.Error("the mention is not highlighted")
	}
	u.say("alice talks about alice")
	if strings.Contains(u.m.View().Content, u.m.th.mention+": alice talks") {
		t.Error("your own message is highlighted as a mention")
	}
}

// hasBell reports whether cmd, returned for a batch of events, is a batch
// that rings the bell first. It queues a line so that the Cmd waiting for
// the outbox returns at once.
func (u *ui) hasBell(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	raw, ok := cmd().(tea.RawMsg)
	return ok && raw.Msg == "\a"
}

func TestWhisperAndBotLines(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 120, 40)
	bob.Input(t.Context(), "/w alice psst, a secret")
	u.say("/users")
	// A listing is one block: its lines follow the first, under one tag.
	u.contains("bob whispered to you: psst, a secret", "helperbot: Current online users:", "      2. alice")
	if !strings.Contains(u.m.View().Content, u.m.th.whisper+"bob whispered") {
		t.Error("the whisper is not highlighted")
	}
	u.say("/help")
	u.contains("system:", "1. /leave", "helperbot:")
	if strings.ContainsAny(u.m.View().Content, "\t\r") {
		t.Error("the frame has tabs or carriage returns")
	}
}

func TestSwitchRooms(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/switch games")
	bob.Input(t.Context(), "games chatter")
	bob.Input(t.Context(), "/switch chat")
	bob.Input(t.Context(), "chat chatter")
	u := newUI(t, h, "alice", 120, 40)
	u.contains("bob: chat chatter", "▸ chat")

	u.send(u.key(keyCtrlN))
	u.pump()
	u.contains("▸ games", "bob: games chatter", "Switched to room 'games'", "#games", "Users (1)")
	u.lacks("chat chatter")

	u.send(u.key(keyCtrlP))
	u.pump()
	u.contains("▸ chat", "bob: chat chatter", "Users (2)")
	u.lacks("games chatter")
}

func TestUnreadCounts(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/switch games")
	bob.Input(t.Context(), "said before")
	u := newUI(t, h, "alice", 120, 40)
	u.lacksMatch(`games +\d`)
	for range 3 {
		bob.Input(t.Context(), "unread")
	}
	u.m.Update(tickMsg{})
	u.matches(`games +3`)
	u.send(u.key(keyCtrlN))
	u.pump()
	u.lacksMatch(`games +\d`)
	u.send(u.key(keyCtrlP))
	u.pump()
	bob.Input(t.Context(), "one more")
	u.m.Update(tickMsg{})
	u.matches(`games +1`)
}

func TestKickedShowsChat(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/switch den")
	u := newUI(t, h, "alice", 120, 40)
	u.say("/switch den")
	u.contains("▸ den")
	bob.Input(t.Context(), "/kick alice")
	u.pump()
	u.contains("▸ chat", "You've been kicked from the 'den' room.", "#chat")
}

func TestLeaveQuits(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	u.typ("/leave")
	u.send(u.key(keyEnter))
	cmd := u.pump()
	if cmd == nil {
		t.Fatal("no Cmd after the outbox closed")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the model does not quit when the outbox closes")
	}
	u.contains("Leaving chat room.")
}

func TestShutdownQuits(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	h.Shutdown()
	cmd := u.pump()
	if cmd == nil {
		t.Fatal("no Cmd after the outbox closed")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the model does not quit at shutdown")
	}
	u.contains(chat.TextShutdown)
}

func TestCtrlCQuits(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	cmd := u.key(keyCtrlC)
	if cmd == nil {
		t.Fatal("Ctrl+C returned no Cmd")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("Ctrl+C does not quit")
	}
}

func TestFloodLimit(t *testing.T) {
	h, _ := newHub(t)
	s := login(t, h, "alice", true)
	m := New(Config{Ctx: t.Context(), Hub: h, Session: s, Width: 80, Height: 24, FloodBurst: 3, FloodRate: 0.001})
	u := &ui{tb: t, m: m, sess: s}
	sent := 0
	for i := range 6 {
		u.typ(fmt.Sprintf("flood %d", i))
		if cmd := u.key(keyEnter); cmd != nil {
			u.send(cmd)
			sent++
		}
	}
	u.pump()
	if sent != 3 {
		t.Errorf("%d lines sent, want 3", sent)
	}
	if n := strings.Count(u.screen(), chat.TextTooFast); n != 1 {
		t.Errorf("too-fast notice shows %d times, want 1", n)
	}
}

func TestViewIsCachedWhenIdle(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 120, 40)
	a := u.m.View().Content
	u.m.Update(tickMsg{})
	b := u.m.View().Content
	if a != b || len(a) == 0 {
		t.Fatal("an idle tick changed the frame")
	}
	if allocs := testing.AllocsPerRun(100, func() { u.m.View() }); allocs > 1 {
		t.Errorf("View of an unchanged screen allocates %.0f times", allocs)
	}
	v := u.m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Error("the view is not full-screen with the mouse on")
	}
	if v.Cursor == nil || v.Cursor.Position.Y != 39 {
		t.Errorf("cursor %+v, want on the input line", v.Cursor)
	}
}

func TestMentions(t *testing.T) {
	cases := []struct {
		text, name string
		want       bool
	}{
		{"hi alice", "alice", true},
		{"ALICE!", "alice", true},
		{"alice: look", "alice", true},
		{"@alice", "alice", true},
		{"malice", "alice", false},
		{"alice_2", "alice", false},
		{"alicé", "alic", false},
		{"so malice, alice", "alice", true},
		{"", "alice", false},
	}
	for _, tc := range cases {
		if got := mentions(tc.text, tc.name); got != tc.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tc.text, tc.name, got, tc.want)
		}
	}
}

func TestNameColourStable(t *testing.T) {
	styles := newTheme(colorprofile.ANSI256)
	if styles.nameColour("alice") != newTheme(colorprofile.ANSI256).nameColour("alice") { // as another session draws it
		t.Fatal("colour of a name changes")
	}
	seen := map[string]bool{}
	for i := range 50 {
		seen[styles.nameColour(fmt.Sprint("user", i))] = true
	}
	if len(seen) < 8 {
		t.Errorf("50 names share %d colours", len(seen))
	}
}

// TestColourProfiles: a terminal that shows 16 colours gets no 256-colour
// sequence, one with NO_COLOR (ASCII) no colour at all but still bold and
// reverse, and a 256-colour one the palette as it is.
func TestColourProfiles(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	for _, tc := range []struct {
		profile colorprofile.Profile
		want    string // the kinds of foreground colour the frame must use, and no other
	}{
		{colorprofile.ANSI256, "256"},
		{colorprofile.ANSI, "16"},
		{colorprofile.ASCII, ""},
	} {
		s := login(t, h, "mike"+strconv.Itoa(int(tc.profile)), true)
		m := New(Config{Ctx: t.Context(), Hub: h, Session: s, Width: 120, Height: 40, Profile: tc.profile})
		u := &ui{tb: t, m: m, sess: s}
		bob.Input(t.Context(), "hi mike"+strconv.Itoa(int(tc.profile))+", in colour")
		bob.Input(t.Context(), "/w mike"+strconv.Itoa(int(tc.profile))+" a whisper")
		u.pump()
		frame := m.View().Content
		if !strings.Contains(frame, ", in colour") || !strings.Contains(frame, "a whisper") {
			t.Fatalf("%v: the messages are not on screen", tc.profile)
		}
		if got := strings.Join(slices.Sorted(maps.Keys(foregrounds(frame))), ","); got != tc.want {
			t.Errorf("%v: frame uses %q foreground colours, want %q", tc.profile, got, tc.want)
		}
		if tc.profile == colorprofile.ASCII && (!strings.Contains(frame, "\x1b[1m") || !strings.Contains(frame, "\x1b[7m")) {
			t.Errorf("%v: bold or reverse missing without colour", tc.profile)
		}
		s.Close()
	}
}

// foregrounds returns the kinds of foreground colour the SGR sequences of
// frame set: "16" (30-37, 90-97), "256" (38;5), "rgb" (38;2).
func foregrounds(frame string) map[string]bool {
	kinds := map[string]bool{}
	for rest := frame; ; {
		i := strings.Index(rest, "\x1b[")
		if i < 0 {
			return kinds
		}
		rest = rest[i+2:]
		end := strings.IndexFunc(rest, func(r rune) bool { return r >= 0x40 && r <= 0x7e })
		if end < 0 || rest[end] != 'm' {
			continue
		}
		ps := strings.Split(rest[:end], ";")
		for k := 0; k < len(ps); k++ {
			switch n, _ := strconv.Atoi(ps[k]); {
			case n >= 30 && n <= 37, n >= 90 && n <= 97:
				kinds["16"] = true
			case n == 38 && k+1 < len(ps) && ps[k+1] == "5":
				kinds["256"] = true
				k += 2
			case n == 38 && k+1 < len(ps) && ps[k+1] == "2":
				kinds["rgb"] = true
				k += 4
			}
		}
	}
}

// TestNamesApartAt16Colours: on a 16-colour terminal names still get
// many colours, none of them the yellow of a mention.
func TestNamesApartAt16Colours(t *testing.T) {
	th := newTheme(colorprofile.ANSI)
	seen := map[string]bool{}
	for i := range 50 {
		c := th.nameColour(fmt.Sprint("user", i))
		if c == th.mention || strings.Contains(c, "33m") || strings.Contains(c, "93m") {
			t.Fatalf("a name is drawn like a mention: %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 8 {
		t.Errorf("50 names share %d colours at 16 colours", len(seen))
	}
}

// the renderer clock is real time; tests that wait use this deadline.
const waitFor = 5 * time.Second

// TestRosterAfterOverflow: when a burst overflows the outbox and the
// roster event is among the lines dropped, the users pane still catches
// up, and keeps following later logins.
func TestRosterAfterOverflow(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 120, 40)
	bob := login(t, h, "bob", false)
	for i := range chat.DefaultOutboxBytes / 16 { // each line over 16 bytes
		bob.Input(t.Context(), fmt.Sprintf("flood-%04d", i))
	}
	u.pump()
	u.contains("Users (2)")
	login(t, h, "carol", false)
	u.pump()
	u.contains("Users (3)", "carol")
}

// TestSharedInputIsPerSession: sessions of one door start from one input
// line, yet what each types stays its own, even typed at the same time.
func TestSharedInputIsPerSession(t *testing.T) {
	h, _ := newHub(t)
	shared := NewShared()
	a := New(Config{Ctx: t.Context(), Hub: h, Session: login(t, h, "alice", true), Width: 80, Height: 24, Shared: shared})
	b := New(Config{Ctx: t.Context(), Hub: h, Session: login(t, h, "bob", true), Width: 80, Height: 24, Shared: shared})
	var wg sync.WaitGroup
	for m, r := range map[*Model]rune{a: 'x', b: 'y'} {
		wg.Go(func() {
			for range 100 {
				m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		})
	}
	wg.Wait()
	if got := a.input.in.Value(); got != strings.Repeat("x", 100) {
		t.Errorf("alice's input line holds %q", got)
	}
	if got := b.input.in.Value(); got != strings.Repeat("y", 100) {
		t.Errorf("bob's input line holds %q", got)
	}
	if got := shared.look(colorprofile.Unknown).input.Value(); got != "" {
		t.Errorf("the shared input line was changed: %q", got)
	}
}

// order fails the test unless every one of want is on the screen, each
// below the one before.
func (u *ui) order(want ...string) {
	u.tb.Helper()
	scr, at := u.screen(), 0
	for _, w := range want {
		i := strings.Index(scr[at:], w)
		if i < 0 {
			u.tb.Errorf("screen lacks %q below %q:\n%s", w, scr[:at], scr)
			return
		}
		at += i + len(w)
	}
}

// TestOwnLinesStay: whispers both ways, and the notices that are the
// session's own, stay on the screen whatever room is shown, between the
// room's messages by time; the room's messages stay with the room.
func TestOwnLinesStay(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 120, 40)
	bob.Input(t.Context(), "before the whisper")
	bob.Input(t.Context(), "/w alice psst, a secret")
	bob.Input(t.Context(), "after the whisper")
	u.pump()
	u.say("/w bob right back at you")
	u.say("/nosuchcommand")
	want := []string{"bob: before the whisper", "bob whispered to you: psst, a secret", "bob: after the whisper",
		"you whispered to bob: right back at you", "Command not found."}
	u.order(want...)

	u.say("/switch games")
	u.order("bob whispered to you: psst, a secret", "you whispered to bob: right back at you", "Command not found.",
		"Switched to room 'games'")
	u.lacks("before the whisper", "after the whisper")
	bob.Input(t.Context(), "/w alice while you were away")
	u.pump()

	u.say("/switch chat")
	u.order(append(want, "Switched to room 'games'", "bob whispered to you: while you were away", "Switched to room 'chat'")...)
	if n := strings.Count(u.screen(), "psst, a secret"); n != 1 {
		t.Errorf("the whisper shows %d times, want 1", n)
	}
}

// TestOwnLinesBounded: the session keeps its last maxOwn lines.
func TestOwnLinesBounded(t *testing.T) {
	h, _ := newHub(t)
	u := newUI(t, h, "alice", 80, 24)
	for i := range 5 * maxOwn {
		u.m.local(fmt.Sprintf("notice %d", i))
		if len(u.m.msgs.own) > 2*maxOwn {
			t.Fatalf("%d own lines held", len(u.m.msgs.own))
		}
	}
	own := u.m.msgs.ownLines()
	if len(own) != maxOwn || own[0].text != fmt.Sprintf("notice %d", 4*maxOwn) || own[maxOwn-1].text != fmt.Sprintf("notice %d", 5*maxOwn-1) {
		t.Errorf("own lines %q … %q (%d), want the last %d", own[0].text, own[len(own)-1].text, len(own), maxOwn)
	}
}

// TestOwnLinesOlderThanScrollback: loading older messages puts them
// between the session's own lines by time, and the view stays where it was.
func TestOwnLinesOlderThanScrollback(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	u := newUI(t, h, "alice", 80, 24)
	u.say("/w bob early whisper")
	for i := range 150 {
		bob.Input(t.Context(), fmt.Sprintf("line-%03d", i))
	}
	u.say("/switch games")
	u.say("/switch chat")
	u.pump()
	for range 200 {
		if cmd := u.key(keyPgUp); cmd != nil {
			before := u.m.msgs.entries[u.m.msgs.anchor.e].text
			u.m.Update(cmd())
			if got := u.m.msgs.entries[u.m.msgs.anchor.e].text; got != before {
				t.Fatalf("loading older messages moved the bottom of the view from %q to %q", before, got)
			}
		}
	}
	for i := 1; i < len(u.m.msgs.entries); i++ {
		if u.m.msgs.entries[i].at < u.m.msgs.entries[i-1].at {
			t.Fatalf("entries out of order at %d: %q after %q", i, u.m.msgs.entries[i].text, u.m.msgs.entries[i-1].text)
		}
	}
	u.order("Logging in as alice", "you whispered to bob: early whisper", "line-000")
}

// TestCtrlNSkipsBannedRooms: Ctrl+N and Ctrl+P pass over a room the user
// is banned from instead of stopping in front of it.
func TestCtrlNSkipsBannedRooms(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/switch den")
	u := newUI(t, h, "alice", 120, 40)
	u.say("/switch den")
	bob.Input(t.Context(), "/ban alice")
	u.pump()
	bob.Input(t.Context(), "/switch games")
	u.pump()
	u.contains("▸ chat", "banned from the 'den' room")
	for _, step := range []struct {
		key  tea.KeyPressMsg
		want string
	}{
		{keyCtrlN, "games"}, // chat → (den) → games
		{keyCtrlP, "chat"},  // games → (den) → chat
		{keyCtrlP, "games"}, // chat → games, around the end
		{keyCtrlN, "chat"},
	} {
		u.send(u.key(step.key))
		u.pump()
		u.contains("▸ " + step.want)
		u.lacks("cannot join")
	}
}

// TestSeenFollowsRemovedRooms: when rooms are removed (--room-expiry), the
// messages seen in each room stay with that room, not with its index.
func TestSeenFollowsRemovedRooms(t *testing.T) {
	rooms := func(names ...string) []chat.RoomInfo {
		out := make([]chat.RoomInfo, len(names))
		for i, n := range names {
			out[i] = chat.RoomInfo{Name: n}
		}
		return out
	}
	old := rooms("chat", "old", "games", "den")
	for _, tc := range []struct {
		name string
		now  []chat.RoomInfo
		want []uint64
	}{
		{"one removed", rooms("chat", "games", "den"), []uint64{1, 3, 4}},
		{"removed and added", rooms("chat", "games", "den", "new"), []uint64{1, 3, 4, 0}},
		{"last removed", rooms("chat", "old", "games"), []uint64{1, 2, 3}},
	} {
		if seen := follow([]uint64{1, 2, 3, 4}, old, tc.now); !slices.Equal(seen, tc.want) {
			t.Errorf("%s: seen %v, want %v", tc.name, seen, tc.want)
		}
		if sameRoom(tc.now, old) && len(tc.now) >= len(old) {
			t.Errorf("%s: not seen as a removal", tc.name)
		}
	}
	if !sameRoom(rooms("chat", "old", "games", "den", "new"), old) {
		t.Error("a room added at the end looks like a removal")
	}
}

// TestKickNoticeStays: the notice of a kick is the session's own: it
// stays on the screen in the rooms the user goes to next.
func TestKickNoticeStays(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	bob.Input(t.Context(), "/switch den")
	u := newUI(t, h, "alice", 120, 40)
	u.say("/switch den")
	bob.Input(t.Context(), "/kick alice")
	u.pump()
	for _, room := range []string{"games", "chat", "den"} {
		u.say("/switch " + room)
		u.contains("▸ "+room, "You've been kicked from the 'den' room.")
	}
}

// TestPasswordMasked: what follows "/password " is shown as one • per
// character while typed, as terminals hide passwords; the cursor stays
// where it would be on the clear text, and other lines show as typed.
func TestPasswordMasked(t *testing.T) {
	long := strings.Repeat("p", 100) // wider than the row: scrolled, still masked
	for _, tc := range []struct {
		name, typed, want string
		left              int // presses of ← after typing
	}{
		{"password", "/password hunter2 hunter2", "/password •••••••••••••••", 0},
		{"any case, cursor moved", "/PassWord hunter2é", "/PassWord ••••••••", 3},
		{"wide characters", "/password 日本語の秘密", "/password ••••••", 0},
		{"long", "/password " + long, strings.Repeat("•", 40), 0},
		{"word only", "/password", "/password", 0},
		{"another command", "/passwords hunter2", "/passwords hunter2", 0},
		{"a message", "my password hunter2", "my password hunter2", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHub(t)
			u := newUI(t, h, "alice", 80, 24)
			u.typ(tc.typed)
			for range tc.left {
				u.key(tea.KeyPressMsg{Code: tea.KeyLeft})
			}
			lines := strings.Split(u.screen(), "\n")
			row := lines[len(lines)-1]
			if !strings.Contains(row, tc.want) {
				t.Errorf("input row = %q, want it to show %q", row, tc.want)
			}
			if masked := tc.want != tc.typed; masked && strings.Contains(row, "hunter") || strings.Contains(row, "秘密") || strings.Contains(row, "ppp") {
				t.Errorf("input row = %q shows the password", row)
			}
			want := u.m.input.in.Cursor()
			got := u.m.View().Cursor
			if want == nil || got == nil || got.Position.X != want.Position.X {
				t.Errorf("cursor at %+v, want %+v (the clear text's)", got, want)
			}
		})
	}
}
