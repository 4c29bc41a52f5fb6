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
	oper    string // the server operator mark in the users pane
	muted   string // the name of a user muted in the room: crossed out
	status  string // the status bar
	bold    string
	sep     string                   // the pane separator, styled
	names   [len(namePalette)]string // name colours, picked by nameColour
}

// namePalette is the xterm-256 colours names are drawn in: mid-tone hues
// that read on dark and on light backgrounds.
var namePalette = [...]uint8{33, 37, 41, 69, 99, 105, 135, 141, 166, 170, 172, 178, 203, 208, 39, 77}

// nameBasic is what names are drawn in on a 16-colour terminal, by
// namePalette's index: the ten colours that are neither grey nor yellow
// (yellow is for mentions), so that names stay apart. The nearest basic
// colour of each would put 12 of the 16 on bright blue and bright red.
var nameBasic = [len(namePalette)]ansi.BasicColor{
	ansi.Blue, ansi.Cyan, ansi.Green, ansi.BrightBlue, ansi.Magenta, ansi.BrightMagenta, ansi.Red, ansi.BrightCyan,
	ansi.BrightRed, ansi.BrightGreen, ansi.Blue, ansi.Cyan, ansi.Green, ansi.BrightBlue, ansi.Magenta, ansi.BrightMagenta,
}

// newTheme builds the theme for a terminal of profile p: the xterm-256
// colours for 256 colours and more; for 16 colours, colours picked to
// mean the same (yellow for what names you, cyan for plugins, magenta for
// whispers, ten apart for names); and for ASCII (NO_COLOR) and anything
// less no colour at all, only bold, italic and the like.
func newTheme(p colorprofile.Profile) *theme {
	s := ansi.NewStyle
	fg := func(st ansi.Style, c256 uint8, c16 ansi.BasicColor) ansi.Style {
		switch {
		case p >= colorprofile.ANSI256:
			return st.ForegroundColor(ansi.IndexedColor(c256))
		case p == colorprofile.ANSI:
			return st.ForegroundColor(c16)
		}
		return st
	}
	t := &theme{
		reset:   ansi.ResetStyle,
		faint:   s().Faint().String(),
		system:  s().Faint().Italic(true).String(),
		bot:     fg(s(), 37, ansi.Cyan).String(),
		botName: fg(s().Bold(), 37, ansi.Cyan).String(),
		whisper: fg(s().Italic(true), 170, ansi.Magenta).String(),
		mention: fg(s().Bold(), 178, ansi.Yellow).String(),
		header:  s().Bold().Underline(true).String(),
		current: s().Bold().Reverse(true).String(),
		unread:  fg(s().Bold(), 178, ansi.Yellow).String(),
		admin:   fg(s().Bold(), 178, ansi.Yellow).String(),
		oper:    fg(s().Bold(), 203, ansi.BrightRed).String(),
		muted:   s().Strikethrough(true).String(),
		status:  s().Reverse(true).String(),
		bold:    s().Bold().String(),
	}
	t.sep = t.faint + separator + t.reset
	for i, c := range namePalette {
		t.names[i] = fg(s().Bold(), c, nameBasic[i]).String()
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
