package tui

import (
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// theme holds the SGR sequences the UI is drawn with, for one colour
// profile. A door builds one a profile and its sessions share it
// read-only (see Shared): styling a line is concatenating strings, with no
// per-session style objects.
type theme struct {
	reset   string
	faint   string // timestamps, separators
	system  string // "<system>" lines
	bot     string // plugin lines
	botName string
	whisper string // whispers to you
	mention string // text that names you
	header  string // pane titles
	current string // the current room in the rooms pane
	unread  string // unread counts
	admin   string // the admin mark in the users pane
	status  string // the status bar
	bold    string
	sep     string                   // the pane separator, styled
	names   [len(namePalette)]string // name colours, picked by nameColour
}

// namePalette is the xterm-256 colours names are drawn in: mid-tone hues
// that read on dark and on light backgrounds.
var namePalette = [...]uint8{33, 37, 41, 69, 99, 105, 135, 141, 166, 170, 172, 178, 203, 208, 39, 77}

// newTheme builds the theme for a terminal of profile p: the xterm-256
// colours as they are, the 16 ANSI colours nearest them for an ANSI
// terminal, and no colour at all, only bold, italic and the like, for
// ASCII (NO_COLOR) and anything less.
func newTheme(p colorprofile.Profile) *theme {
	s := ansi.NewStyle
	fg := func(st ansi.Style, c uint8) ansi.Style {
		if cc := p.Convert(ansi.IndexedColor(c)); cc != nil {
			st = st.ForegroundColor(cc)
		}
		return st
	}
	t := &theme{
		reset:   ansi.ResetStyle,
		faint:   s().Faint().String(),
		system:  s().Faint().Italic(true).String(),
		bot:     fg(s(), 37).String(),
		botName: fg(s().Bold(), 37).String(),
		whisper: fg(s().Italic(true), 170).String(),
		mention: fg(s().Bold(), 178).String(),
		header:  s().Bold().Underline(true).String(),
		current: s().Bold().Reverse(true).String(),
		unread:  fg(s().Bold(), 178).String(),
		admin:   fg(s().Bold(), 178).String(),
		status:  s().Reverse(true).String(),
		bold:    s().Bold().String(),
	}
	t.sep = t.faint + separator + t.reset
	for i, c := range namePalette {
		t.names[i] = fg(s().Bold(), c).String()
	}
	return t
}

// nameColour returns the SGR sequence of name's colour: the same for a
// name on every screen and in every session.
func (t *theme) nameColour(name string) string {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return t.names[h%uint32(len(t.names))]
}
