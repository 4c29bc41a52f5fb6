package tui

import (
	"sync"
	"time"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// Shared is what the sessions of one door share: the buffers frames are
// built in, lent for one frame, so an idle session holds none; and, for
// each colour profile, the theme and the input line as built (whose styles
// took 5 % of an SSH login's CPU to make for every session). Safe for
// concurrent use.
type Shared struct {
	// ObserveFrame, if set before the first session, is given each drawn
	// frame's time (building it and writing it to the session) and bytes,
	// on the session's goroutine; it must not block.
	ObserveFrame func(d time.Duration, bytes int)

	frames sync.Pool

	mu    sync.Mutex
	looks map[colorprofile.Profile]*look
}

// look is what is drawn the same way for every session of one colour
// profile. Never changed once built.
type look struct {
	theme *theme
	input textinput.Model // copied for each session
}

// NewShared returns what a door's sessions share.
func NewShared() *Shared {
	return &Shared{looks: map[colorprofile.Profile]*look{}}
}

// look returns the look for profile p (Unknown taken as ANSI256), built
// the first time it is asked for.
func (sh *Shared) look(p colorprofile.Profile) *look {
	if p == colorprofile.Unknown {
		p = colorprofile.ANSI256
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l, ok := sh.looks[p]
	if !ok {
		l = &look{theme: newTheme(p), input: newInput(p)}
		sh.looks[p] = l
	}
	return l
}

// frame returns an empty buffer to build a frame in.
func (sh *Shared) frame() []byte {
	if v, ok := sh.frames.Get().(*[]byte); ok {
		return (*v)[:0]
	}
	return make([]byte, 0, 4<<10)
}

// done takes back a buffer from frame.
func (sh *Shared) done(buf []byte) {
	if cap(buf) <= 64<<10 { // a huge redraw's buffer is left to the collector
		sh.frames.Put(&buf)
	}
}

// newInput builds the input line for a terminal of profile p: bubbles'
// dark styles with their colours brought down to p (faint for the
// placeholder, and no colour, where p has none). A textinput.Model is a
// value: a copy of this one starts empty and shares nothing it changes
// (its cursor, which holds a pointer, is hidden and never blinks: the
// terminal's is used).
func newInput(p colorprofile.Profile) textinput.Model {
	in := textinput.New()
	in.Prompt = "> "
	in.Placeholder = "message or /help"
	in.CharLimit = inputLimit
	in.SetVirtualCursor(false)        // the terminal's cursor: no blink ticks
	in.KeyMap.Paste.SetEnabled(false) // it would read the server's clipboard; bracketed paste works
	in.Focus()

	colour := func(c uint8, without lipgloss.Style) lipgloss.Style {
		if cc := p.Convert(ansi.IndexedColor(c)); cc != nil {
			return lipgloss.NewStyle().Foreground(cc)
		}
		return without
	}
	st := textinput.DefaultDarkStyles()
	faint, plain := lipgloss.NewStyle().Faint(true), lipgloss.NewStyle()
	for _, s := range []*textinput.StyleState{&st.Focused, &st.Blurred} {
		s.Placeholder, s.Suggestion = colour(240, faint), colour(240, faint)
		s.Prompt = colour(7, plain)
	}
	st.Blurred.Text = colour(7, plain)
	in.SetStyles(st)
	return in
}
