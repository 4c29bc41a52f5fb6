// Package tui is the Bubble Tea model of one SSH session: a rooms pane, the
// messages, the users of the current room, an input line and a status bar,
// all driven by one chat.Session.
package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"chatserver/chat"
)

// FPS is the frame rate the door should cap the program at (tea.WithFPS).
// Events that arrive between two frames are drawn in the next one.
const FPS = 30

// Config is what one session's UI is built from.
type Config struct {
	Ctx        context.Context // the SSH connection's context: Session.Input blocks on store writes under it
	Hub        *chat.Hub
	Session    *chat.Session // already logged in with chat.LoginOptions{Roster: true}
	Width      int           // initial pty size (already clamped by the door)
	Height     int
	FloodBurst int     // flood control for typed lines (chat.NewLimiter), as on the line door
	FloodRate  float64 // lines a second after the burst; <= 0 turns flood control off
}

// Model is the Bubble Tea model of one session. It is driven by one
// tea.Program and is not safe for concurrent use.
type Model struct {
	cfg Config
}

// New returns the model for cfg.Session.
func New(cfg Config) *Model {
	return &Model{cfg: cfg}
}

// Init starts waiting for the session's events.
func (m *Model) Init() tea.Cmd { return nil }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "ctrl+c" {
		return m, tea.Quit
	}
	return m, nil
}

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView("")
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	return v
}
