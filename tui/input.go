package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"chatserver/chat"
)

const (
	historyLen = 50 // lines kept for ↑/↓
	maxPending = 32 // typed lines waiting for the engine
	inputLimit = 1000
)

// sentMsg says Session.Input returned for the line sent last.
type sentMsg struct{}

// submit handles Enter: the line goes through the flood limiter, into the
// history and to the engine.
func (m *Model) submit() tea.Cmd {
	line := m.in.Value()
	m.in.Reset()
	m.inputDirty = true
	m.comp = completion{}
	m.histPos, m.draft = len(m.history), ""
	if strings.TrimSpace(line) == "" {
		return nil
	}
	if n := len(m.history); n == 0 || m.history[n-1] != line {
		if n == historyLen {
			copy(m.history, m.history[1:])
			m.history = m.history[:n-1]
		}
		m.history = append(m.history, line)
		m.histPos = len(m.history)
	}
	return m.send(line)
}

// send queues line for Session.Input after the flood limiter let it
// through. Lines reach the engine one at a time, in order, from a Cmd:
// Input may block on a store write and Update must not.
func (m *Model) send(line string) tea.Cmd {
	ok, notify := m.limiter.Allow(m.now())
	if !ok {
		if notify {
			m.local(chat.TextTooFast)
		}
		return nil
	}
	if len(m.pending) >= maxPending {
		m.local(chat.TextTooFast)
		return nil
	}
	m.toBottom()
	m.pending = append(m.pending, line)
	if m.sending {
		return nil
	}
	return m.sendNext()
}

// sendNext starts sending the oldest queued line, if any.
func (m *Model) sendNext() tea.Cmd {
	if len(m.pending) == 0 {
		m.sending = false
		m.pending = nil
		return nil
	}
	line := m.pending[0]
	m.pending = m.pending[1:]
	m.sending = true
	s, ctx := m.sess, m.ctx
	return func() tea.Msg {
		s.Input(ctx, line)
		return sentMsg{}
	}
}

// local shows a system line that only this screen makes.
func (m *Model) local(text string) {
	en := entry{kind: entrySystem, from: chat.SystemName, text: text, at: m.now().UnixNano()}
	m.keepOwn(en)
	m.appendEntry(en)
	m.trim()
}

// recall shows the previous (dir < 0) or next line of the history; past
// the newest it restores what was being typed.
func (m *Model) recall(dir int) {
	p := m.histPos + dir
	if p < 0 || p > len(m.history) {
		return
	}
	if m.histPos == len(m.history) {
		m.draft = m.in.Value()
	}
	m.histPos = p
	if p == len(m.history) {
		m.in.SetValue(m.draft)
	} else {
		m.in.SetValue(m.history[p])
	}
	m.in.CursorEnd()
	m.inputDirty = true
}

// completion is the state of Tab completion between two presses.
type completion struct {
	prefix string   // the line before the completed word
	suffix string   // the line after the cursor
	cands  []string // candidates, in order
	i      int      // the one shown
	shown  string   // the line as completion left it
}

// complete completes the word before the cursor: a command after a '/' at
// the start of the line, a room after "/switch ", else a user of the room
// or a room. Pressing Tab again shows the next candidate (dir -1: the
// previous one).
func (m *Model) complete(dir int) {
	val := m.in.Value()
	if m.comp.cands != nil && val == m.comp.shown {
		n := len(m.comp.cands)
		m.comp.i = ((m.comp.i+dir)%n + n) % n
		m.applyCompletion()
		return
	}
	runes := []rune(val)
	cur := min(m.in.Position(), len(runes))
	before, after := string(runes[:cur]), string(runes[cur:])
	start := strings.LastIndexByte(before, ' ') + 1
	word := before[start:]
	var pool []string
	switch {
	case start == 0 && strings.HasPrefix(word, "/"):
		for _, c := range m.hub.CommandNames() {
			pool = append(pool, "/"+c)
		}
	case strings.HasPrefix(strings.ToLower(before), "/switch "):
		for _, r := range m.rooms {
			pool = append(pool, r.Name)
		}
	default:
		if word == "" {
			return
		}
		for _, u := range m.members {
			pool = append(pool, u.Name)
		}
		for _, r := range m.rooms {
			pool = append(pool, r.Name)
		}
	}
	var cands []string
	for _, c := range pool {
		if len(c) >= len(word) && strings.EqualFold(c[:len(word)], word) && !contains(cands, c) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return
	}
	m.comp = completion{prefix: before[:start], suffix: after, cands: cands}
	if dir < 0 {
		m.comp.i = len(cands) - 1
	}
	m.applyCompletion()
}

func (m *Model) applyCompletion() {
	c := m.comp.cands[m.comp.i]
	if len(m.comp.cands) == 1 && m.comp.suffix == "" {
		c += " "
	}
	head := m.comp.prefix + c
	m.in.SetValue(head + m.comp.suffix)
	m.in.SetCursor(len([]rune(head)))
	m.comp.shown = m.in.Value()
	m.inputDirty = true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// switchRoom sends "/switch" to the next (dir 1) or previous (dir -1) room
// in the rooms pane that the user may enter, as Ctrl+N and Ctrl+P do:
// a room they are banned from is passed over.
func (m *Model) switchRoom(dir int) tea.Cmd {
	n := len(m.rooms)
	cur := 0
	for i, r := range m.rooms {
		if r.Name == m.room {
			cur = i
		}
	}
	for step := 1; step < n; step++ {
		if next := m.rooms[((cur+dir*step)%n+n)%n].Name; m.hub.CanEnter(next, m.name) {
			return m.send("/switch " + next)
		}
	}
	return nil
}

// now is the clock of the flood limiter and local lines.
func (m *Model) now() time.Time { return time.Now() }
