package tui

import (
	"slices"
	"strconv"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

// usersPane is the users of the current room on the right, in the order
// they came: server operators marked '~', other admins of the room '@',
// users muted in the room '-' and crossed out, the session's own user
// followed by '*', users who are away dimmed, with their reason.
type usersPane struct {
	hub  engine
	th   *theme
	name string // the session's user
	inRoom
	members []chat.Member // shared with the hub (Hub.Members): never changed
	column
}

func newUsersPane(hub engine, th *theme, name, room string) *usersPane {
	p := &usersPane{hub: hub, th: th, name: name, inRoom: inRoom{room}, column: column{dirty: true}}
	p.refresh()
	return p
}

// Init does nothing.
func (p *usersPane) Init() tea.Cmd { return nil }

// Update takes a roster change and a change of room.
func (p *usersPane) Update(msg tea.Msg) tea.Cmd {
	p.follow(msg, p.refresh)
	return nil
}

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
func (p *usersPane) View() []line { return p.view(p.draw) }

func (p *usersPane) draw(lines []line) []line {
	t, w, h := p.th, p.w, p.h
	head := " Users (" + strconv.Itoa(len(p.members)) + ")"
	lines = append(lines, line{t.header + fit(head, w) + t.reset, w})
	for i, u := range p.members {
		if len(lines) == h-1 && i < len(p.members)-1 {
			lines = append(lines, line{fit(" +"+strconv.Itoa(len(p.members)-i)+" more", w), w})
			break
		}
		mark := userMark(t, u)
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
		if u.Away { // dimmed, with the reason as far as it fits
			style = t.faint
			if room := w - 2 - nw; room > 2 {
				note := ansi.Truncate(" ("+shown(awayNote(u))+")", room, "…")
				name += note
				nw += ansi.StringWidth(note)
			}
		}
		if u.Muted {
			style += t.muted
		}
		lines = append(lines, line{" " + mark + style + name + t.reset + blank(w-2-nw), w})
	}
	return lines
}

// userMark is the styled mark, one cell, before u's name: '~' for a
// server operator (an admin of every room), '@' for an admin of the room,
// '-' for a user muted in it, else a blank.
func userMark(t *theme, u chat.Member) string {
	switch {
	case u.Operator:
		return t.oper + "~" + t.reset
	case u.Admin:
		return t.admin + "@" + t.reset
	case u.Muted:
		return t.faint + "-" + t.reset
	}
	return " "
}

// awayNote is what the pane shows after the name of a user who is away.
func awayNote(u chat.Member) string {
	if u.AwayReason == "" {
		return "away"
	}
	return u.AwayReason
}
