package tui

import (
	"strconv"
	"strings"

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

// layout sizes the panes for the terminal and marks what must be redrawn.
func (m *Model) layout() {
	w, h := max(m.width, 1), max(m.height, 1)
	m.bodyH = max(h-2, 0)
	oldMsgW := m.msgW
	if w >= SideMinWidth {
		side := min(max(w/6, minSideW), maxSideW)
		m.roomsW, m.usersW = side, side
		m.msgW = w - 2*side - 2
	} else {
		m.roomsW, m.usersW = 0, 0
		m.msgW = w
	}
	if len(m.blank) != w {
		m.blank = strings.Repeat(" ", w)
	}
	m.in.SetWidth(max(w-ansi.StringWidth(m.in.Prompt)-1, 1))
	if m.msgW != oldMsgW {
		m.rewrap()
	}
	m.roomsDirty, m.usersDirty, m.msgsDirty, m.statusDirty, m.inputDirty = true, true, true, true, true
}

// sides reports whether the side panes are shown.
func (m *Model) sides() bool { return m.roomsW > 0 }

// pad returns s, which is w cells wide, padded with spaces to width cells.
func (m *Model) pad(s string, w, width int) string {
	if w >= width {
		return s
	}
	return s + m.blank[:width-w]
}

// fit truncates plain text to width cells and pads it to exactly width.
func (m *Model) fit(s string, width int) string {
	w := ansi.StringWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = ansi.StringWidth(s)
	}
	return m.pad(s, w, width)
}

// renderRooms draws the rooms pane: every room, the current one marked,
// unread counts on the others. When the rooms do not fit, the list is
// scrolled so that the current one shows.
func (m *Model) renderRooms() {
	t, w, h := m.th, m.roomsW, m.bodyH
	m.roomsLines = m.roomsLines[:0]
	if h == 0 {
		return
	}
	m.roomsLines = append(m.roomsLines, t.header+"Rooms"+t.reset+m.blank[:w-5])
	cur := 0
	for i, r := range m.rooms {
		if r.Name == m.room {
			cur = i
		}
	}
	first := 0
	if fit := h - 1; len(m.rooms) > fit {
		first = min(max(cur-fit/2, 0), len(m.rooms)-fit)
	}
	for i := first; i < len(m.rooms) && len(m.roomsLines) < h; i++ {
		r := m.rooms[i]
		if i == cur {
			m.roomsLines = append(m.roomsLines, t.current+m.fit("▸ "+r.Name, w)+t.reset)
			continue
		}
		var count string
		if n := unread(m.said[i], m.seen[i]); n > 0 {
			if n > 999 {
				count = " 999+"
			} else {
				count = " " + strconv.FormatUint(n, 10)
			}
		}
		name := m.fit("  "+r.Name, w-len(count))
		if count != "" {
			name += t.unread + count + t.reset
		}
		m.roomsLines = append(m.roomsLines, name)
	}
	for len(m.roomsLines) < h {
		m.roomsLines = append(m.roomsLines, m.blank[:w])
	}
	m.roomsDirty = false
}

// renderUsers draws the users pane: the users of the current room in the
// order they came, admins marked with '@', you in bold.
func (m *Model) renderUsers() {
	t, w, h := m.th, m.usersW, m.bodyH
	m.usersLines = m.usersLines[:0]
	if h == 0 {
		return
	}
	head := " Users (" + strconv.Itoa(len(m.members)) + ")"
	m.usersLines = append(m.usersLines, t.header+m.fit(head, w)+t.reset)
	for i, u := range m.members {
		if len(m.usersLines) == h-1 && i < len(m.members)-1 {
			m.usersLines = append(m.usersLines, m.fit(" +"+strconv.Itoa(len(m.members)-i)+" more", w))
			break
		}
		mark := " "
		if u.Admin {
			mark = t.admin + "@" + t.reset
		}
		own := u.Name == m.name
		limit := w - 2
		if own {
			limit--
		}
		name := ansi.Truncate(u.Name, limit, "…")
		nw := ansi.StringWidth(name)
		style := t.nameColour(u.Name)
		if own {
			name += "*"
			nw++
		}
		m.usersLines = append(m.usersLines, " "+mark+style+name+t.reset+m.blank[:max(w-2-nw, 0)])
	}
	for len(m.usersLines) < h {
		m.usersLines = append(m.usersLines, m.blank[:w])
	}
	m.usersDirty = false
}

// renderStatus draws the status bar: who, where, how many, and a key hint.
func (m *Model) renderStatus() {
	var b strings.Builder
	b.WriteString(" ")
	b.WriteString(m.name)
	b.WriteString(" │ #")
	b.WriteString(m.room)
	b.WriteString(" │ ")
	b.WriteString(strconv.Itoa(len(m.members)))
	b.WriteString(" here")
	if !m.follow {
		b.WriteString(" │ ↓ ")
		b.WriteString(strconv.Itoa(m.unseen))
		b.WriteString(" new (Esc)")
	}
	if m.loading {
		b.WriteString(" │ loading…")
	}
	left := b.String()
	lw := ansi.StringWidth(left)
	s := m.fit(left, max(m.width, 1))
	for _, hint := range [...]string{"PgUp/PgDn scroll · ^N/^P room · Tab complete · ^C quit ", "^N/^P room · ^C quit "} {
		if hw := ansi.StringWidth(hint); lw+2+hw <= m.width {
			s = left + m.blank[:m.width-lw-hw] + hint
			break
		}
	}
	m.status = m.th.status + s + m.th.reset
	m.statusDirty = false
}

// renderInput draws the input line and places the cursor.
func (m *Model) renderInput() {
	m.input = m.in.View()
	m.cursor = m.in.Cursor()
	if m.cursor != nil {
		m.cursor.Position.Y = max(m.height-1, 0)
	}
	m.inputDirty = false
}

// renderFrame joins the panes into the screen. Only the parts marked dirty
// are drawn again; the rest are reused as they are.
func (m *Model) renderFrame() {
	if m.sides() {
		if m.roomsDirty {
			m.renderRooms()
		}
		if m.usersDirty {
			m.renderUsers()
		}
	}
	if m.msgsDirty {
		m.window()
		m.msgsDirty = false
	}
	if m.statusDirty {
		m.renderStatus()
	}
	if m.inputDirty {
		m.renderInput()
	}
	m.segs = m.segs[:0]
	mx := 0 // where the messages start
	if m.sides() {
		mx = m.roomsW + 1
	}
	for i := range int32(m.bodyH) {
		if m.sides() {
			m.segs = append(m.segs, seg{y: i, s: m.roomsLines[i]}, seg{y: i, x: int32(m.roomsW), s: m.th.sep})
		}
		msg := seg{y: i, x: int32(mx), pad: int32(m.msgW)}
		if int(i) < len(m.win) {
			msg.s, msg.pad = m.win[i].s, int32(max(m.msgW-m.win[i].w, 0))
		}
		m.segs = append(m.segs, msg)
		if m.sides() {
			m.segs = append(m.segs, seg{y: i, x: int32(mx + m.msgW), s: m.th.sep}, seg{y: i, x: int32(mx + m.msgW + 1), s: m.usersLines[i]})
		}
	}
	if m.height >= 2 {
		m.segs = append(m.segs, seg{y: int32(m.bodyH), s: m.status})
	}
	m.segs = append(m.segs, seg{y: int32(max(m.height-1, 0)), s: m.input, eol: true})
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
		b.WriteString(m.blank[:min(int(g.pad), len(m.blank))])
	}
	m.frameCap = b.Len() + 64
	return b.String()
}
