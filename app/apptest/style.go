package apptest

import (
	"strings"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// Style returns the style of the cell at column x, row y of the screen:
// its colours and attributes (Attrs&uv.AttrFaint for dimmed text).
func (s *Screen) Style(x, y int) uv.Style {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.emu.CellAt(x, y); c != nil {
		return c.Style
	}
	return uv.Style{}
}

// Find returns the column and row where sub begins on the screen, in
// cells, or ok false if it is not there.
func (s *Screen) Find(sub string) (x, y int, ok bool) {
	for i, line := range s.Lines() {
		if j := strings.Index(line, sub); j >= 0 {
			return ansi.StringWidth(line[:j]), i, true
		}
	}
	return 0, 0, false
}
