package tui

import (
	"strconv"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

// roomsPane is the rooms on the left: every room, the current one marked,
// invite-only ones (/lock) marked "+i", unread counts on the others. When
// the rooms do not fit, the list is scrolled so that the current one shows.
type roomsPane struct {
	hub   engine
	th    *theme
	room  string // the current room
	rooms []chat.RoomInfo
	seen  []uint64 // per room of rooms: messages seen (or counted as seen)
	said  []uint64 // per room of rooms: its message count at the last refresh (RoomInfo.Messages is live)
	column
}

// newRoomsPane returns the rooms pane of a session in room: what was said
// before it came is not unread.
func newRoomsPane(hub engine, th *theme, room string) *roomsPane {
	p := &roomsPane{hub: hub, th: th, room: room, column: column{dirty: true}}
	p.refresh()
	copy(p.seen, p.said)
	return p
}

// Init does nothing: the model refreshes the pane on its ticks.
func (p *roomsPane) Init() tea.Cmd { return nil }

// Update takes the rooms refresh (tickMsg, only while shown: unread counts
// show nowhere else), a roster change and a change of room.
func (p *roomsPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tickMsg:
		if p.w > 0 {
			p.refresh()
		}
	case rosterMsg:
		p.refresh()
	case enterMsg:
		p.refresh() // count the old room's messages as seen
		p.room, p.dirty = msg.room, true
		p.refresh()
	}
	return nil
}

// refresh reloads the room list and marks the pane dirty if what it shows
// changed. Rooms keep their order, so seen and said are kept by index;
// when rooms were removed (--room-expiry), they follow the rooms by name.
// The list is the hub's shared one, whose message counts are live: said
// keeps what the pane shows.
func (p *roomsPane) refresh() {
	rooms := p.hub.Rooms()
	changed := len(rooms) != len(p.rooms)
	if len(rooms) < len(p.rooms) || len(rooms) > 0 && len(p.rooms) > 0 && !sameRoom(rooms, p.rooms) {
		p.seen = follow(p.seen, p.rooms, rooms)
		p.said = follow(p.said, p.rooms, rooms)
		changed = true
	}
	for i := range rooms {
		if i >= len(p.seen) {
			p.seen = append(p.seen, 0)
		}
		if i >= len(p.said) {
			p.said = append(p.said, 0)
		}
		n := rooms[i].Messages()
		if rooms[i].Name == p.room {
			p.seen[i] = n
		}
		if !changed && (rooms[i].Name != p.rooms[i].Name || rooms[i].InviteOnly != p.rooms[i].InviteOnly ||
			unread(n, p.seen[i]) != unread(p.said[i], p.seen[i])) {
			changed = true
		}
		p.said[i] = n
	}
	p.rooms = rooms
	if changed {
		p.dirty = true
	}
}

// sameRoom reports whether the last room of the shorter list is at the
// same place in both: rooms are only added at the end, so it is unless
// one was removed.
func sameRoom(a, b []chat.RoomInfo) bool {
	i := min(len(a), len(b)) - 1
	return a[i].Name == b[i].Name
}

// follow returns counts, kept per room of old, for the rooms now.
func follow(counts []uint64, old, now []chat.RoomInfo) []uint64 {
	byName := make(map[string]uint64, len(old))
	for i, r := range old {
		if i < len(counts) {
			byName[r.Name] = counts[i]
		}
	}
	out := make([]uint64, len(now))
	for i, r := range now {
		out[i] = byName[r.Name]
	}
	return out
}

func unread(said, seen uint64) uint64 {
	if said < seen {
		return 0
	}
	return said - seen
}

// current returns the index of the current room in rooms.
func (p *roomsPane) current() int {
	cur := 0
	for i, r := range p.rooms {
		if r.Name == p.room {
			cur = i
		}
	}
	return cur
}

// next returns the next (dir 1) or previous (dir -1) room after the
// current one for which ok holds, or "" if there is none.
func (p *roomsPane) next(dir int, ok func(room string) bool) string {
	n, cur := len(p.rooms), p.current()
	for step := 1; step < n; step++ {
		if r := p.rooms[((cur+dir*step)%n+n)%n].Name; ok(r) {
			return r
		}
	}
	return ""
}

// View draws the pane.
func (p *roomsPane) View() []line { return p.view(p.draw) }

func (p *roomsPane) draw(lines []line) []line {
	t, w, h := p.th, p.w, p.h
	lines = append(lines, line{t.header + "Rooms" + t.reset + blank(w-5), w})
	cur := p.current()
	first := 0
	if fit := h - 1; len(p.rooms) > fit {
		first = min(max(cur-fit/2, 0), len(p.rooms)-fit)
	}
	for i := first; i < len(p.rooms) && len(lines) < h; i++ {
		r := p.rooms[i]
		if i == cur {
			lines = append(lines, line{t.current + roomLabel("▸ ", r, w) + t.reset, w})
			continue
		}
		var count string
		if n := unread(p.said[i], p.seen[i]); n > 0 {
			if n > 999 {
				count = " 999+"
			} else {
				count = " " + strconv.FormatUint(n, 10)
			}
		}
		name := roomLabel("  ", r, w-len(count))
		if count != "" {
			name += t.unread + count + t.reset
		}
		lines = append(lines, line{name, w})
	}
	return lines
}

// inviteOnlyMark follows the name of an invite-only room: IRC's mode.
const inviteOnlyMark = " +i"

// roomLabel is r's line in the pane, without styles, exactly width cells:
// gutter, the name, cut with an ellipsis where it does not fit, and the
// invite-only mark, which is never cut while the pane has room for it.
func roomLabel(gutter string, r chat.RoomInfo, width int) string {
	gw := ansi.StringWidth(gutter)
	if !r.InviteOnly || width < gw+len(inviteOnlyMark)+1 {
		return fit(gutter+r.Name, width)
	}
	name := ansi.Truncate(r.Name, width-gw-len(inviteOnlyMark), "…")
	return fit(gutter+name+inviteOnlyMark, width)
}
