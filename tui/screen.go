package tui

import (
	"io"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Terminal modes a direct-drawing session sets and restores: the alternate
// screen, mouse button events in SGR encoding, bracketed paste.
const (
	setModes   = "\x1b[?1049h\x1b[?1002h\x1b[?1006h\x1b[?2004h\x1b[2J"
	resetModes = "\x1b[?2004l\x1b[?1006l\x1b[?1002l\x1b[?25h\x1b[?1049l"
	syncBegin  = "\x1b[?2026h" // synchronized output: the frame shows at once where supported
	syncEnd    = "\x1b[?2026l"
	hideCursor = "\x1b[?25l"
	showCursor = "\x1b[?25h"
	eraseLine  = "\x1b[K"
	clearAll   = "\x1b[2J"
	resetStyle = "\x1b[m"
)

// screen draws frames on a terminal row by row, for a program run with
// tea.WithoutRenderer. The model hands it the frame as segments of rows
// (a pane's line, a separator), pre-styled; the screen keeps the segments
// it drew last and writes only those that changed, each after a cursor
// move, in one write. There is no parsing and no cell buffer: a frame
// costs a comparison a segment (the strings are the panes' cached lines,
// so mostly a pointer comparison) and the bytes of what changed, and an
// idle session holds its segments and nothing else.
type screen struct {
	w        io.Writer
	shared   *Shared
	prev     []seg // the frame on the terminal
	started  bool
	cleared  bool   // erase the terminal with the next frame
	curShown bool   // the cursor as the last frame left it
	curAt    [2]int // row, column
	stopped  bool
	bell     bool // ring with the next frame
	err      error
}

func newScreen(w io.Writer, shared *Shared) *screen {
	return &screen{w: w, shared: shared}
}

// clear forgets what is on the terminal, so the next frame draws every
// row; after a resize.
func (s *screen) clear() {
	s.prev = s.prev[:0]
	s.cleared = s.started
}

// seg is a piece of a screen row: styled text at column x of row y, then
// pad blank cells, or with eol the rest of the row erased. Coordinates are
// int32: an idle session keeps two frames of these.
type seg struct {
	s         string
	y, x, pad int32
	eol       bool
}

// draw shows the frame segs, whose segments lie in the same places from
// frame to frame until clear, and puts the cursor at cur (hidden if nil).
// Only segments that changed are written, each from a reset style, so one
// segment's style never leaks into another.
func (s *screen) draw(segs []seg, cur *tea.Cursor) {
	if s.stopped || s.err != nil {
		return
	}
	var t0 time.Time
	if s.shared.ObserveFrame != nil {
		t0 = time.Now()
	}
	b := s.shared.frame()
	if !s.started {
		s.started = true
		b = append(b, setModes...)
	}
	if s.cleared {
		s.cleared = false
		b = append(b, clearAll...)
	}
	start := len(b)
	b = append(b, syncBegin...)
	b = append(b, hideCursor...)
	changed := false
	for i, g := range segs {
		if i < len(s.prev) && s.prev[i] == g {
			continue
		}
		changed = true
		b = moveTo(b, int(g.y), int(g.x))
		b = append(b, resetStyle...)
		b = append(b, g.s...)
		b = pad(b, int(g.pad))
		if g.eol {
			b = append(b, eraseLine...)
		}
	}
	s.prev = append(s.prev[:0], segs...)
	at, shown := [2]int{}, cur != nil
	if shown {
		at = [2]int{cur.Position.Y, cur.Position.X}
	}
	if !changed && !s.bell && start == 0 && shown == s.curShown && at == s.curAt {
		s.shared.done(b) // nothing to show: no write at all
		return
	}
	s.curShown, s.curAt = shown, at
	if cur != nil {
		b = moveTo(b, cur.Position.Y, cur.Position.X)
		b = append(b, showCursor...)
	}
	if s.bell {
		s.bell = false
		b = append(b, '\a')
	}
	b = append(b, syncEnd...)
	n := len(b)
	s.flush(b)
	if s.shared.ObserveFrame != nil {
		s.shared.ObserveFrame(time.Since(t0), n)
	}
}

// stop restores the terminal and prints farewell, if any, on the normal
// screen: the line that ended the session stays visible after it.
func (s *screen) stop(farewell string) {
	if s.stopped {
		return
	}
	s.stopped = true
	b := s.shared.frame()
	if s.started {
		b = append(b, resetModes...)
	}
	if farewell != "" {
		b = append(b, farewell...)
		b = append(b, "\r\n"...)
	}
	s.flush(b)
	s.prev = nil
}

func (s *screen) flush(b []byte) {
	if len(b) > 0 && s.err == nil {
		_, s.err = s.w.Write(b)
	}
	s.shared.done(b)
}

// pad appends n blank cells after the cursor. Past 8, it erases them
// (ECH, after a reset, so that they take the default background) instead
// of writing spaces: a message row at 120x40 may be padded by ~50 cells,
// which was a third of a scrolled frame's bytes. ECH leaves the cursor
// where it was, which is fine: every segment starts with a move.
func pad(b []byte, n int) []byte {
	if n <= 8 { // "\x1b[m\x1b[9X" is 8 bytes
		for range n {
			b = append(b, ' ')
		}
		return b
	}
	b = append(b, resetStyle...)
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, 'X')
}

// moveTo appends the cursor movement to row y, column x (0-based).
func moveTo(b []byte, y, x int) []byte {
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(y+1), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(x+1), 10)
	return append(b, 'H')
}
