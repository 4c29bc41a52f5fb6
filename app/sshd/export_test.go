package sshd

import tea "charm.land/bubbletea/v2"

// SetUpdateHook sets f to see every message of every UI before its model
// does (Door.onUpdate); call it before Run.
func (d *Door) SetUpdateHook(f func(user string, msg tea.Msg)) { d.onUpdate = f }
