package tui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"

	"chatserver/chat"
)

// marked is the hub as the second release's engine reports it: the test
// sets the topics, the marks on members and the invite-only rooms that
// other parts of the engine fill in, and counts the topic reads.
type marked struct {
	*chat.Hub
	topics     map[string]string      // by room
	marks      map[string]chat.Member // by name: the member as listed
	inviteOnly map[string]bool        // by room
	extra      []string               // command names besides the hub's
	topicReads int
}

func newMarked(h *chat.Hub) *marked {
	return &marked{Hub: h, topics: map[string]string{}, marks: map[string]chat.Member{}, inviteOnly: map[string]bool{}}
}

func (e *marked) Topic(room string) string {
	e.topicReads++
	return e.topics[room]
}

func (e *marked) Members(room string) []chat.Member {
	out := slices.Clone(e.Hub.Members(room))
	for i, u := range out {
		if mk, ok := e.marks[u.Name]; ok {
			mk.Name = u.Name
			out[i] = mk
		}
	}
	return out
}

func (e *marked) Rooms() []chat.RoomInfo {
	out := slices.Clone(e.Hub.Rooms())
	for i := range out {
		out[i].InviteOnly = e.inviteOnly[out[i].Name]
	}
	return out
}

func (e *marked) CommandNames() []string { return append(e.Hub.CommandNames(), e.extra...) }

// newMarkedUI is newUI reading the engine through e.
func newMarkedUI(tb testing.TB, e *marked, name string, w, hgt int) *ui {
	tb.Helper()
	s := login(tb, e.Hub, name, true)
	m := newModel(Config{Ctx: tb.Context(), Hub: e.Hub, Session: s, Width: w, Height: hgt, FloodBurst: 20, FloodRate: 5}, e)
	u := &ui{tb: tb, m: m, sess: s}
	u.pump()
	return u
}

// roster delivers a roster event, as the engine sends when a topic, a
// mark or a lock changes.
func (u *ui) roster() {
	u.m.Update(eventsMsg{evs: []*chat.Event{{Kind: chat.KindRoster}}})
}

// column returns the rows of the messages column, the topic's included:
// each body row between the two separators (the whole row without them).
func (u *ui) column() []string {
	lines := strings.Split(u.screen(), "\n")
	var out []string
	for _, l := range lines[:max(len(lines)-2, 0)] {
		if cols := strings.Split(l, separator); len(cols) == 3 {
			l = cols[1]
		}
		out = append(out, strings.TrimRight(l, " "))
	}
	return out
}

// geometry fails the test unless every row but the input line is exactly
// the screen's width, and there are as many rows as the screen is high.
func (u *ui) geometry(w, h int) {
	u.tb.Helper()
	lines := strings.Split(u.screen(), "\n")
	if len(lines) != h {
		u.tb.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines[:len(lines)-1] {
		if got := ansi.StringWidth(l); got != w {
			u.tb.Errorf("%dx%d: line %d is %d cells wide, want %d: %q", w, h, i, got, w, l)
		}
	}
}

// TestTopicRow: a room's topic is the first row of the messages column,
// cut with an ellipsis at every size; it follows a roster event and a
// change of room, goes when cleared, and is read for those only, never
// for a frame.
func TestTopicRow(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	bob := login(t, h, "bob", false)
	e.topics["chat"] = "Welcome! Be kind; " + strings.Repeat("long topic words ", 12) + "THE END"
	u := newMarkedUI(t, e, "alice", 80, 24)
	bob.Input(t.Context(), "hello under the topic")
	u.pump()
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {50, 20}} {
		w, hgt := size[0], size[1]
		u.resize(w, hgt)
		u.geometry(w, hgt)
		col := u.column()
		if top := col[0]; !strings.HasPrefix(top, "Topic: Welcome! Be kind;") || !strings.HasSuffix(top, "…") {
			t.Errorf("%dx%d: first row of the messages %q, want the topic cut with an ellipsis", w, hgt, top)
		}
		if !strings.Contains(col[1], "Logging in as alice") {
			t.Errorf("%dx%d: second row of the messages %q, want the first message", w, hgt, col[1])
		}
		u.contains("bob: hello under the topic")
	}
	u.resize(80, 24)

	reads := e.topicReads
	for range 20 { // frames: keys, ticks, messages
		u.typ("x")
		u.m.Update(tickMsg{})
		bob.Input(t.Context(), "more")
		u.pump()
		u.m.View()
	}
	if e.topicReads != reads {
		t.Errorf("the topic was read %d times for frames, want none", e.topicReads-reads)
	}

	e.topics["chat"] = "short"
	u.m.View()
	u.contains("Topic: Welcome!") // not reloaded until the engine says so
	u.roster()
	if e.topicReads != reads+1 {
		t.Errorf("a roster event read the topic %d times, want once", e.topicReads-reads)
	}
	if top := u.column()[0]; top != "Topic: short" {
		t.Errorf("after a roster event the first row is %q, want the new topic", top)
	}

	e.topics["chat"] = ""
	u.roster()
	u.lacks("Topic:")
	u.geometry(80, 24)

	e.topics["den"] = "the den's topic"
	u.m.input.in.Reset()
	u.say("/switch den")
	if top := u.column()[0]; top != "Topic: the den's topic" {
		t.Errorf("in den the first row is %q, want den's topic", top)
	}
	u.geometry(80, 24)
}

// TestTopicRowTiny: a screen too small for a topic row shows none, and
// the topic does not make it lay the panes out again on every roster
// event.
func TestTopicRowTiny(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	e.topics["chat"] = "a topic"
	u := newMarkedUI(t, e, "alice", 30, 3)
	u.geometry(30, 3)
	u.lacks("Topic:")
	u.m.frameDirty = false
	u.roster()
	if u.m.frameDirty {
		t.Error("a roster event that changed nothing redrew the screen")
	}
	u.resize(30, 4)
	u.contains("Topic: a topic")
	u.geometry(30, 4)
	for _, w := range []int{1, 2, 7, 8, 9, 12} { // too narrow for the label, then for the whole topic
		u.resize(w, 4)
		u.geometry(w, 4)
	}
}

// TestLoginLinesFromTheTop: the lines a login sends (the MOTD among them)
// are shown from their first when they do not fit; the status bar says
// more came, and Esc goes to the newest. A short MOTD is simply followed.
func TestLoginLinesFromTheTop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines int
		topic string
		top   bool // the login's first line on the top row
	}{
		{"longest motd and a topic", 20, "the topic", true},
		{"short motd", 3, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHub(t)
			e := newMarked(h)
			e.topics["chat"] = tc.topic
			bob := login(t, h, "bob", false)
			for i := range 30 {
				bob.Input(t.Context(), fmt.Sprintf("backlog %d", i))
			}
			// The login's lines as PROTOCOL.md has them (the join line
			// came already): the MOTD after "Logging in as", then the topic.
			s := login(t, h, "alice", true)
			lines := make([]string, tc.lines)
			for i := range lines {
				lines[i] = fmt.Sprintf("motd line %d of %d", i+1, tc.lines)
			}
			if tc.topic != "" {
				lines = append(lines, "Topic: "+tc.topic)
			}
			for _, l := range lines {
				s.Outbox().Push(&chat.Event{Kind: chat.KindSystem, From: chat.SystemName, Text: l, Time: time.Now()})
			}
			m := newModel(Config{Ctx: t.Context(), Hub: h, Session: s, Width: 80, Height: 24}, e)
			u := &ui{tb: t, m: m, sess: s}
			u.pump()
			col := u.column()
			if tc.topic != "" {
				col = col[1:] // under the topic's row
			}
			lastMotd := lines[tc.lines-1]
			if got := strings.Contains(col[0], "Logging in as alice"); got != tc.top {
				t.Errorf("top row %q; login line on top: %v, want %v", col[0], got, tc.top)
			}
			u.contains("motd line 1 of")
			if tc.top {
				u.contains("new (Esc)")
				u.lacks(lastMotd)
				u.key(keyEsc)
			}
			u.contains(lastMotd)
			bob.Input(t.Context(), "said after")
			u.pump()
			u.contains("bob: said after")
		})
	}
}

// TestDirectDrawingTopic: drawing itself on a terminal, the model shows a
// topic set since the last frame once a roster event came, in the first
// row of the messages column, and the rows below stay whole; cleared, the
// row goes back to the messages.
func TestDirectDrawingTopic(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	s := login(t, h, "mike", true)
	out := &bytes.Buffer{}
	m := newModel(Config{Ctx: t.Context(), Hub: h, Session: s, Width: 80, Height: 24, Output: out}, e)
	d := &direct{ui: &ui{tb: t, m: m, sess: s}, hub: h, out: out, emu: vt.NewEmulator(80, 24)}
	m.Init()
	d.pump()
	d.frame()
	e.topics["chat"] = "the topic of the day, " + strings.Repeat("and more ", 20)
	d.roster()
	d.frame()
	lines := d.lines()
	if got := strings.Split(lines[0], separator); len(got) != 3 || !strings.HasPrefix(got[1], "Topic: the topic of the day") ||
		!strings.HasSuffix(strings.TrimRight(got[1], " "), "…") {
		t.Fatalf("top row %q, want the topic cut in the messages column", lines[0])
	}
	if !strings.Contains(lines[1], "Logging in as mike") || strings.Count(lines[5], separator) != 2 {
		t.Fatalf("rows under the topic:\n%s", d.emu.String())
	}
	e.topics["chat"] = ""
	d.roster()
	d.frame()
	if got := d.lines()[0]; strings.Contains(got, "Topic:") || !strings.Contains(got, "Logging in as mike") {
		t.Fatalf("top row %q after the topic was cleared, want the first message", got)
	}
}
