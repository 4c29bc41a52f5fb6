package tui

import (
	"sync"

	"charm.land/bubbles/v2/textinput"
)

// Shared is what the sessions of one door share: the buffers frames are
// built in, lent for one frame, so an idle session holds none; and the
// input line as built, whose styles took 5 % of an SSH login's CPU to make
// for every session. Safe for concurrent use.
type Shared struct {
	frames sync.Pool
	input  textinput.Model // copied for each session, never changed
}

// NewShared returns what a door's sessions share.
func NewShared() *Shared { return &Shared{input: newInput()} }

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

// newInput builds the input line. A textinput.Model is a value: a copy of
// this one starts empty and shares nothing it changes (its cursor, which
// holds a pointer, is hidden and never blinks: the terminal's is used).
func newInput() textinput.Model {
	in := textinput.New()
	in.Prompt = "> "
	in.Placeholder = "message or /help"
	in.CharLimit = inputLimit
	in.SetVirtualCursor(false)        // the terminal's cursor: no blink ticks
	in.KeyMap.Paste.SetEnabled(false) // it would read the server's clipboard; bracketed paste works
	in.Focus()
	return in
}
