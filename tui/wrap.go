package tui

import tea "charm.land/bubbletea/v2"

// NewProgramOf is NewProgram for a program that runs outer, a model that
// hands its messages on to m (the SSH door's panic guard): m is woken
// through that program.
func NewProgramOf(m *Model, outer tea.Model, opts ...tea.ProgramOption) *tea.Program {
	p := tea.NewProgram(outer, opts...)
	m.post = p.Send
	return p
}
