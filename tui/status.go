package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// statusMsg is what the status bar shows; the model sends it after every
// update, and the bar redraws only when it differs from what it shows.
type statusMsg struct {
	name, room string
	here       int  // users in the room
	back       bool // the messages pane is scrolled back
	unseen     int  // messages arrived meanwhile
	loading    bool // older messages are being loaded
}

// statusBar is the line under the panes: who, where, how many, and a key
// hint as far as the width allows.
type statusBar struct {
	th *theme
	st statusMsg
	row
}

// Init does nothing.
func (b *statusBar) Init() tea.Cmd { return nil }

// Update takes what to show.
func (b *statusBar) Update(msg tea.Msg) tea.Cmd {
	if st, ok := msg.(statusMsg); ok && st != b.st {
		b.st, b.dirty = st, true
	}
	return nil
}

// View draws the bar.
func (b *statusBar) View() []line { return b.view(b.draw) }

func (b *statusBar) draw() line {
	var sb strings.Builder
	sb.WriteString(" ")
	sb.WriteString(b.st.name)
	sb.WriteString(" │ #")
	sb.WriteString(b.st.room)
	sb.WriteString(" │ ")
	sb.WriteString(strconv.Itoa(b.st.here))
	sb.WriteString(" here")
	switch {
	case b.st.back && b.st.unseen > 0:
		sb.WriteString(" │ ↓ ")
		sb.WriteString(strconv.Itoa(b.st.unseen))
		sb.WriteString(" new (Esc)")
	case b.st.back: // scrolled back, nothing new: say how to come back, not "0 new"
		sb.WriteString(" │ ↓ latest (Esc)")
	}
	if b.st.loading {
		sb.WriteString(" │ loading…")
	}
	left := sb.String()
	lw := ansi.StringWidth(left)
	s := fit(left, max(b.w, 1))
	for _, hint := range [...]string{"PgUp/PgDn scroll · ^N/^P room · Tab complete · ^C quit ", "^N/^P room · ^C quit "} {
		if hw := ansi.StringWidth(hint); lw+2+hw <= b.w {
			s = left + blank(b.w-lw-hw) + hint
			break
		}
	}
	return line{b.th.status + s + b.th.reset, max(b.w, 1)}
}
