package tui

import "github.com/charmbracelet/x/ansi"

// theme holds the SGR sequences the UI is drawn with. They are built once
// and shared read-only by every session: styling a line is concatenating
// strings, with no per-session style objects. The renderer downsamples the
// colours to what the terminal supports.
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

// styles is the one theme; it is never modified after package init.
var styles = newTheme()

func newTheme() *theme {
	s := ansi.NewStyle
	t := &theme{
		reset:   ansi.ResetStyle,
		faint:   s().Faint().String(),
		system:  s().Faint().Italic(true).String(),
		bot:     s().ForegroundColor(ansi.IndexedColor(37)).String(),
		botName: s().Bold().ForegroundColor(ansi.IndexedColor(37)).String(),
		whisper: s().Italic(true).ForegroundColor(ansi.IndexedColor(170)).String(),
		mention: s().Bold().ForegroundColor(ansi.IndexedColor(178)).String(),
		header:  s().Bold().Underline(true).String(),
		current: s().Bold().Reverse(true).String(),
		unread:  s().Bold().ForegroundColor(ansi.IndexedColor(178)).String(),
		admin:   s().Bold().ForegroundColor(ansi.IndexedColor(178)).String(),
		status:  s().Reverse(true).String(),
		bold:    s().Bold().String(),
	}
	t.sep = t.faint + separator + t.reset
	for i, c := range namePalette {
		t.names[i] = s().Bold().ForegroundColor(ansi.IndexedColor(c)).String()
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
