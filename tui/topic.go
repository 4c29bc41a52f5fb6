package tui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// topicLabel begins the topic's row.
const topicLabel = "Topic: "

// topicLine is the topic of the current room, in a row above the
// messages, shown only while the room has one. A topic wider than the row
// is cut with an ellipsis: it never wraps. It is read from the engine on
// entering a room and on a roster change (the engine sends one when a
// topic is set or cleared), never for a frame, and drawn again only when
// it changed.
type topicLine struct {
	hub engine
	th  *theme
	inRoom
	text string // the topic, "" for none
	row
}

func newTopicLine(hub engine, th *theme, room string) *topicLine {
	p := &topicLine{hub: hub, th: th, inRoom: inRoom{room}}
	p.refresh()
	return p
}

// Init does nothing.
func (p *topicLine) Init() tea.Cmd { return nil }

// Update takes a roster change and a change of room.
func (p *topicLine) Update(msg tea.Msg) tea.Cmd {
	p.follow(msg, p.refresh)
	return nil
}

// refresh reads the room's topic, marking the row dirty if it changed.
func (p *topicLine) refresh() {
	if t := p.hub.Topic(p.room); t != p.text {
		p.text, p.dirty = t, true
	}
}

// shown reports whether the room has a topic to show.
func (p *topicLine) shown() bool { return p.text != "" }

// View draws the row: the label, then the topic as far as it fits.
func (p *topicLine) View() []line { return p.view(p.draw) }

func (p *topicLine) draw() line {
	w := max(p.w, 1)
	label := topicLabel
	if lw := len(topicLabel); w <= lw+1 {
		label = "" // no room for both: the topic alone
	}
	text := ansi.Truncate(shown(p.text), w-len(label), "…")
	tw := len(label) + ansi.StringWidth(text)
	return line{p.th.bold + label + p.th.reset + text, tw}
}
