package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Layout limits.
const (
	// SideMinWidth is the narrowest terminal that shows the rooms and users
	// panes; below it the messages take the whole width.
	SideMinWidth = 60
	minSideW     = 12
	maxSideW     = 22
	separator    = "│"
)

// pane is one part of the screen, in the shape of soft-serve's
// common.Component: it owns its state, takes the messages the model routes
// to it in Update, is told its size by SetSize, and draws itself in View,
// as lines of the pane's width, again only after something it shows
// changed (dirty): the same lines otherwise, so a frame of an unchanged
// pane costs nothing. The model lays the panes out, routes messages and
// joins their lines into the frame.
type pane interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() []line
	SetSize(width, height int)
	// Dirty reports whether View will draw anew: what the pane shows
	// changed since it was last drawn.
	Dirty() bool
}

// Every part of the screen is a pane.
var (
	_ pane = (*roomsPane)(nil)
	_ pane = (*topicLine)(nil)
	_ pane = (*usersPane)(nil)
	_ pane = (*messagesPane)(nil)
	_ pane = (*inputLine)(nil)
	_ pane = (*statusBar)(nil)
)

// line is one styled screen line and its width in cells.
type line struct {
	s string
	w int
}

// column is what the side panes share: lines of one width down the body,
// drawn anew only when dirty, and nothing while hidden (width 0).
type column struct {
	w, h  int
	lines []line
	dirty bool
}

// SetSize sizes the column; width 0 hides it.
func (c *column) SetSize(w, h int) { c.w, c.h, c.dirty = w, h, true }

// Dirty reports whether View will draw anew (never while hidden).
func (c *column) Dirty() bool { return c.dirty && c.w > 0 }

// view returns the column's lines: if dirty, those draw appends to an
// empty list, then blank rows down to the height.
func (c *column) view(draw func(lines []line) []line) []line {
	if !c.dirty {
		return c.lines
	}
	c.dirty = false
	c.lines = c.lines[:0]
	if c.h == 0 || c.w == 0 {
		return c.lines
	}
	c.lines = draw(c.lines)
	for len(c.lines) < c.h {
		c.lines = append(c.lines, line{blank(c.w), c.w})
	}
	return c.lines
}

// row is what the panes one row high share: the row drawn anew only when
// dirty.
type row struct {
	w     int
	lines []line // the one row
	dirty bool
}

// SetSize sizes the row; it is one row high.
func (r *row) SetSize(w, _ int) { r.w, r.dirty = w, true }

// Dirty reports whether View will draw anew.
func (r *row) Dirty() bool { return r.dirty }

// view returns the row, drawn by draw if dirty.
func (r *row) view(draw func() line) []line {
	if !r.dirty && r.lines != nil {
		return r.lines
	}
	r.dirty = false
	r.lines = append(r.lines[:0], draw())
	return r.lines
}

// inRoom is what the panes about the current room share: the room, and
// when to reload what they show of it.
type inRoom struct{ room string }

// follow runs refresh after a roster change, and after a change of room
// once the room is the new one; other messages it leaves alone.
func (r *inRoom) follow(msg tea.Msg, refresh func()) {
	switch msg := msg.(type) {
	case rosterMsg:
	case enterMsg:
		r.room = msg.room
	default:
		return
	}
	refresh()
}

// enterMsg tells the panes the session is now in room.
type enterMsg struct{ room string }

// rosterMsg tells the panes to reload what the engine's roster shows: the
// rooms and the users of the room.
type rosterMsg struct{}

// spaces is sliced for padding; wider than any pane the door allows.
const spaces = "                                                                                                                                " +
	"                                                                                                                                " +
	"                                                                                                                                " +
	"                                                                                                                                "

// blank returns n spaces.
func blank(n int) string {
	if n <= len(spaces) {
		return spaces[:max(n, 0)]
	}
	return strings.Repeat(" ", n)
}

// padded returns s, which is w cells wide, padded with spaces to width cells.
func padded(s string, w, width int) string {
	if w >= width {
		return s
	}
	return s + blank(width-w)
}

// fit truncates plain text to width cells and pads it to exactly width.
func fit(s string, width int) string {
	w := ansi.StringWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = ansi.StringWidth(s)
	}
	return padded(s, w, width)
}

// layout sizes the panes for the terminal.
func (m *Model) layout() {
	w, bodyH := max(m.width, 1), m.bodyHeight()
	side, msgW := 0, w
	if w >= SideMinWidth {
		side = min(max(w/6, minSideW), maxSideW)
		msgW = w - 2*side - 2
	}
	m.rooms.SetSize(side, bodyH)
	m.users.SetSize(side, bodyH)
	m.topicRow = m.topicFits()
	msgH := bodyH
	if m.topicRow {
		msgH--
	}
	m.topic.SetSize(msgW, 1)
	m.msgs.SetSize(msgW, msgH)
	m.status.SetSize(m.width, 1)
	m.input.SetSize(w, 1)
	m.input.row = max(m.height-1, 0)
}

// topicFits reports whether the topic row is shown: the room has a topic
// and the body has a row for it and one for messages.
func (m *Model) topicFits() bool { return m.topic.shown() && m.bodyHeight() >= 2 }

// bodyHeight is the height of the panes: all but the status bar and the
// input line.
func (m *Model) bodyHeight() int { return max(max(m.height, 1)-2, 0) }

// sides reports whether the side panes are shown.
func (m *Model) sides() bool { return m.rooms.w > 0 }

// dirty reports whether any pane will draw anew.
func (m *Model) dirty() bool {
	return m.rooms.Dirty() || m.users.Dirty() || m.topicRow && m.topic.Dirty() || m.msgs.Dirty() ||
		m.status.Dirty() || m.input.Dirty()
}

// renderFrame joins the panes into the screen. Panes that did not change
// hand back the lines they drew last.
func (m *Model) renderFrame() {
	var roomsLines, usersLines []line
	sides := m.sides()
	if sides {
		roomsLines, usersLines = m.rooms.View(), m.users.View()
	}
	win := m.msgs.View()
	status := m.status.View()
	input := m.input.View()
	bodyH, msgW := m.bodyHeight(), m.msgs.w
	var top []line // the topic's row comes first, the messages a row lower
	if m.topicRow {
		top = m.topic.View()
	}
	m.segs = m.segs[:0]
	mx := 0 // where the messages start
	if sides {
		mx = m.rooms.w + 1
	}
	for i := range int32(bodyH) {
		if sides {
			m.segs = append(m.segs, seg{y: i, s: roomsLines[i].s}, seg{y: i, x: int32(m.rooms.w), s: m.th.sep})
		}
		msg := seg{y: i, x: int32(mx), pad: int32(msgW)}
		if j := int(i) - len(top); j < 0 {
			msg.s, msg.pad = top[i].s, int32(max(msgW-top[i].w, 0))
		} else if j < len(win) {
			msg.s, msg.pad = win[j].s, int32(max(msgW-win[j].w, 0))
		}
		m.segs = append(m.segs, msg)
		if sides {
			m.segs = append(m.segs, seg{y: i, x: int32(mx + msgW), s: m.th.sep}, seg{y: i, x: int32(mx + msgW + 1), s: usersLines[i].s})
		}
	}
	if m.height >= 2 {
		m.segs = append(m.segs, seg{y: int32(bodyH), s: status[0].s})
	}
	m.segs = append(m.segs, seg{y: int32(max(m.height-1, 0)), s: input[0].s, eol: true})
	if m.scr == nil { // the stock renderer takes the frame as one string
		m.frame = m.join()
	}
	m.frameDirty = false
}

// join returns the frame as one string, a line a row, for View.
func (m *Model) join() string {
	var b strings.Builder
	b.Grow(m.frameCap)
	for i, g := range m.segs {
		if i > 0 && g.y != m.segs[i-1].y {
			b.WriteByte('\n')
		}
		b.WriteString(g.s)
		b.WriteString(blank(int(g.pad)))
	}
	m.frameCap = b.Len() + 64
	return b.String()
}
