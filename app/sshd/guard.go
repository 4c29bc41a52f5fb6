package sshd

import tea "charm.land/bubbletea/v2"

// guard runs a session's UI model: a panic in its Init, Update or View,
// or in a command they return, is logged with the user and the stack and
// cuts that user's connection, which ends the program; nobody else's
// session notices. Bubble Tea would recover it too, but print it to the
// process's stderr without the user, and go on running the program.
type guard struct {
	m    tea.Model
	d    *Door
	c    *conn
	user string
}

// Init initialises the model.
func (g *guard) Init() (cmd tea.Cmd) {
	defer g.recover(func() { cmd = nil })
	return g.cmd(g.m.Init())
}

// Update hands msg to the model.
func (g *guard) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	defer g.recover(func() { cmd = tea.Quit })
	if g.d.onUpdate != nil {
		g.d.onUpdate(g.user, msg)
	}
	m, cmd := g.m.Update(msg)
	g.m = m
	return g, g.cmd(cmd)
}

// View draws the model.
func (g *guard) View() (v tea.View) {
	defer g.recover(func() { v = tea.NewView("") })
	return g.m.View()
}

// cmd wraps cmd so that a panic in it is handled as one in Update; the
// commands of a batch it returns are wrapped too.
func (g *guard) cmd(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer g.recover(func() { msg = nil })
		msg = cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for i, c := range batch {
				batch[i] = g.cmd(c)
			}
		}
		return msg
	}
}

// recover, deferred, ends a panic: it logs it, cuts the connection and
// runs after, which sets what the panicking call returns.
func (g *guard) recover(after func()) {
	if v := recover(); v != nil {
		g.d.panicked(g.c, g.user, v)
		after()
	}
}
