package tui

import (
	"slices"
	"strconv"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

// usersPane is the users of the current room on the right, in the order
// they came, admins marked with '@', the session's own user with '*'.
type usersPane struct {
	hub     *chat.Hub
	th      *theme
	name    string // the session's user
	room    string
	members []chat.Member // shared with the hub (Hub.Members): never changed

	w, h  int
	lines []line
	dirty bool
}

func newUsersPane(hub *chat.Hub, th *theme, name, room string) *usersPane {
	p := &usersPane{hub: hub, th: th, name: name, room: room, dirty: true}
	p.refresh()
	return p
}

// Init does nothing.
func (p *usersPane) Init() tea.Cmd { return nil }

// Update takes a roster change and a change of room.
func (p *usersPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case rosterMsg:
		p.refresh()
	case enterMsg:
		p.room = msg.room
		p.refresh()
	}
	return nil
}

// SetSize sizes the pane; width 0 hides it.
func (p *usersPane) SetSize(w, h int) { p.w, p.h, p.dirty = w, h, true }

// Dirty reports whether View will draw anew (never while hidden).
func (p *usersPane) Dirty() bool { return p.dirty && p.w > 0 }

// refresh reloads the users of the room, marking the pane dirty if they
// changed.
func (p *usersPane) refresh() {
	members := p.hub.Members(p.room)
	if !equalMembers(members, p.members) {
		p.members, p.dirty = members, true
	}
}

func equalMembers(a, b []chat.Member) bool {
	if len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) { // Members shares one list until a change
		return true
	}
	return slices.Equal(a, b)
}

// View draws the pane.
func (p *usersPane) View() []line {
	if !p.dirty {
		return p.lines
	}
	p.dirty = false
	t, w, h := p.th, p.w, p.h
	p.lines = p.lines[:0]
	if h == 0 || w == 0 {
		return p.lines
	}
	head := " Users (" + strconv.Itoa(len(p.members)) + ")"
	p.lines = append(p.lines, line{t.header + fit(head, w) + t.reset, w})
	for i, u := range p.members {
		if len(p.lines) == h-1 && i < len(p.members)-1 {
			p.lines = append(p.lines, line{fit(" +"+strconv.Itoa(len(p.members)-i)+" more", w), w})
			break
		}
		mark := " "
		if u.Admin {
			mark = t.admin + "@" + t.reset
		}
		own := u.Name == p.name
		limit := w - 2
		if own {
			limit--
		}
		name := ansi.Truncate(u.Name, limit, "…")
		nw := ansi.StringWidth(name)
		style := t.nameColour(u.Name)
		if own {
			name += "*"
			nw++
		}
		p.lines = append(p.lines, line{" " + mark + style + name + t.reset + blank(w-2-nw), w})
	}
	for len(p.lines) < h {
		p.lines = append(p.lines, line{blank(w), w})
	}
	return p.lines
}
