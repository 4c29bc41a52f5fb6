package tui

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

const (
	historyLen = 50 // lines kept for ↑/↓
	maxPending = 32 // typed lines waiting for the engine
	inputLimit = 1000
)

// inputLine is the line the user types in, at the bottom: the lines sent
// before (↑/↓) and Tab completion.
type inputLine struct {
	in      textinput.Model
	history []string
	histPos int
	draft   string
	comp    completion
	// pool returns the words Tab may complete the word after before with
	// (commands, rooms, users: the model knows them).
	pool func(before, word string) []string

	row    int // the terminal row it is drawn on
	w      int // the terminal's width
	lines  []line
	cursor *tea.Cursor
	dirty  bool
}

// Init does nothing: the cursor is the terminal's and does not blink.
func (l *inputLine) Init() tea.Cmd { return nil }

// Update takes the keys the model routes to the line (all but the ones
// for the screen) and pastes.
func (l *inputLine) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		// By code, not k.String(), which allocates: what the model routed
		// here already cost one.
		tab := k.Code == tea.KeyTab && (k.Mod == 0 || k.Mod == tea.ModShift)
		if !tab {
			l.comp = completion{}
		}
		switch {
		case tab && k.Mod == 0:
			l.complete(1)
			return nil
		case tab:
			l.complete(-1)
			return nil
		case k.Code == tea.KeyUp && k.Mod == 0:
			l.recall(-1)
			return nil
		case k.Code == tea.KeyDown && k.Mod == 0:
			l.recall(1)
			return nil
		}
	}
	var cmd tea.Cmd
	l.in, cmd = l.in.Update(msg)
	l.dirty = true
	return cmd
}

// SetSize sizes the line; it is one row high.
func (l *inputLine) SetSize(w, _ int) {
	l.w = w
	l.in.SetWidth(max(w-ansi.StringWidth(l.in.Prompt)-1, 1))
	l.dirty = true
}

// Dirty reports whether View will draw anew.
func (l *inputLine) Dirty() bool { return l.dirty }

// View draws the line and places the cursor (Cursor).
func (l *inputLine) View() []line {
	if !l.dirty && l.lines != nil {
		return l.lines
	}
	l.dirty = false
	in := l.masked()
	row := in.View()
	// The text input measures grapheme clusters; a terminal that counts
	// code points (tmux 3.3a draws 👍🏽 in 4 cells, not 2) would draw the
	// row wider than the screen, and on the last row that scrolls the
	// whole screen up. The row is cut to what fits, counted either way.
	if fit := l.w - 1; fit > 0 && ansi.StringWidthWc(row) > fit {
		row = ansi.TruncateWc(row, fit, "")
	}
	// The text input pads the row with spaces to its width (inside the
	// placeholder's colour when it shows); the row is drawn with an erase
	// to its end, so they are only bytes to send, on every keystroke (116
	// of them at 120 columns).
	row = trailingBlank.ReplaceAllString(row, "$1")
	l.lines = append(l.lines[:0], line{s: row})
	l.cursor = in.Cursor()
	if l.cursor != nil {
		l.cursor.Position.Y = l.row
	}
	return l.lines
}

// masked returns the text input to draw: the line's own, or, while it
// holds "/password " and more, a copy of it with each character after
// that shown as one •, as terminals hide a password. One cell for each
// character, the cursor at the same character: the text input places the
// cursor by characters.
func (l *inputLine) masked() *textinput.Model {
	val := l.in.Value()
	lead := len(val) - len(strings.TrimLeft(val, " "))
	word, _, spaced := strings.Cut(val[lead:], " ")
	if !spaced || !strings.EqualFold(word, "/password") {
		return &l.in
	}
	head := lead + len(word) + 1
	in := l.in
	in.SetValue(val[:head] + strings.Repeat("•", utf8.RuneCountInString(val[head:])))
	in.SetCursor(l.in.Position())
	return &in
}

// take empties the line, as Enter does, and returns what it held, kept in
// the history unless blank, the same as the line before, or a /password
// line: a password is not kept in memory to be recalled by ↑.
func (l *inputLine) take() string {
	line := l.in.Value()
	l.in.Reset()
	l.dirty = true
	l.comp = completion{}
	l.histPos, l.draft = len(l.history), ""
	if strings.TrimSpace(line) == "" {
		return ""
	}
	if word, _ := chat.CutArg(line); strings.EqualFold(word, "/password") {
		return line
	}
	if n := len(l.history); n == 0 || l.history[n-1] != line {
		if n == historyLen {
			copy(l.history, l.history[1:])
			l.history = l.history[:n-1]
		}
		l.history = append(l.history, line)
		l.histPos = len(l.history)
	}
	return line
}

// recall shows the previous (dir < 0) or next line of the history; past
// the newest it restores what was being typed.
func (l *inputLine) recall(dir int) {
	p := l.histPos + dir
	if p < 0 || p > len(l.history) {
		return
	}
	if l.histPos == len(l.history) {
		l.draft = l.in.Value()
	}
	l.histPos = p
	if p == len(l.history) {
		l.in.SetValue(l.draft)
	} else {
		l.in.SetValue(l.history[p])
	}
	l.in.CursorEnd()
	l.dirty = true
}

// completion is the state of Tab completion between two presses.
type completion struct {
	prefix string   // the line before the completed word
	suffix string   // the line after the cursor
	cands  []string // candidates, in order
	i      int      // the one shown
	shown  string   // the line as completion left it
}

// complete completes the word before the cursor from pool. Pressing Tab
// again shows the next candidate (dir -1: the previous one).
func (l *inputLine) complete(dir int) {
	val := l.in.Value()
	if l.comp.cands != nil && val == l.comp.shown {
		n := len(l.comp.cands)
		l.comp.i = ((l.comp.i+dir)%n + n) % n
		l.applyCompletion()
		return
	}
	runes := []rune(val)
	cur := min(l.in.Position(), len(runes))
	before, after := string(runes[:cur]), string(runes[cur:])
	start := strings.LastIndexByte(before, ' ') + 1
	word := before[start:]
	var cands []string
	for _, c := range l.pool(before, word) {
		if len(c) >= len(word) && strings.EqualFold(c[:len(word)], word) && !contains(cands, c) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return
	}
	l.comp = completion{prefix: before[:start], suffix: after, cands: cands}
	if dir < 0 {
		l.comp.i = len(cands) - 1
	}
	l.applyCompletion()
}

func (l *inputLine) applyCompletion() {
	c := l.comp.cands[l.comp.i]
	if len(l.comp.cands) == 1 && l.comp.suffix == "" {
		c += " "
	}
	head := l.comp.prefix + c
	l.in.SetValue(head + l.comp.suffix)
	l.in.SetCursor(len([]rune(head)))
	l.comp.shown = l.in.Value()
	l.dirty = true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// anyRoomCommands take as their first argument the name of a user who may
// be in any room: Tab completes it from everyone online.
var anyRoomCommands = [...]string{"/w", "/whois", "/ignore", "/invite", "/gban"}

// maxOnline is how many names online Tab offers at most after one of
// anyRoomCommands (the first, sorted, that begin with what was typed).
const maxOnline = 50

// completions is the input line's pool: a command after a '/' at the start
// of the line or after "/help ", a room after "/switch ", the users online in any room but
// this session's after "/w ", "/whois " and the other anyRoomCommands,
// else a user of the room or a room; nothing for an empty word but a
// command, a room or a user online.
func (m *Model) completions(before, word string) []string {
	var pool []string
	switch {
	case len(word) == len(before) && strings.HasPrefix(word, "/"):
		for _, c := range m.hub.CommandNames() {
			pool = append(pool, "/"+c)
		}
	case firstArgOf(before, word, []string{"/help"}):
		pool = m.hub.CommandNames()
	case firstArgOf(before, word, anyRoomCommands[:]):
		for _, n := range m.hub.OnlineNames(word, maxOnline+1) {
			if n != m.name && len(pool) < maxOnline {
				pool = append(pool, n)
			}
		}
	case strings.HasPrefix(strings.ToLower(before), "/switch "):
		for _, r := range m.rooms.rooms {
			pool = append(pool, r.Name)
		}
	default:
		if word == "" {
			return nil
		}
		for _, u := range m.users.members {
			pool = append(pool, u.Name)
		}
		for _, r := range m.rooms.rooms {
			pool = append(pool, r.Name)
		}
	}
	return pool
}

// firstArgOf reports whether word, the end of before, is the first
// argument of one of cmds: before is "CMD " then word, in any case.
func firstArgOf(before, word string, cmds []string) bool {
	cmd, arg, ok := strings.Cut(before, " ")
	if !ok || arg != word {
		return false
	}
	for _, c := range cmds {
		if strings.EqualFold(cmd, c) {
			return true
		}
	}
	return false
}

// sentMsg says Session.Input returned for the line sent last.
type sentMsg struct{}

// submit handles Enter: the line goes through the flood limiter, into the
// history and to the engine.
func (m *Model) submit() tea.Cmd {
	line := m.input.take()
	if line == "" {
		return nil
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
	m.msgs.toBottom()
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
	m.msgs.local(text, m.now())
}

// switchRoom sends "/switch" to the next (dir 1) or previous (dir -1) room
// in the rooms pane that the user may enter, as Ctrl+N and Ctrl+P do:
// a room they are banned from is passed over.
func (m *Model) switchRoom(dir int) tea.Cmd {
	next := m.rooms.next(dir, func(room string) bool { return m.hub.CanEnter(room, m.name) })
	if next == "" {
		return nil
	}
	return m.send("/switch " + next)
}

// now is the clock of the flood limiter and local lines.
func (m *Model) now() time.Time { return time.Now() }

// trailingBlank matches the spaces that end a row, and the style changes
// after them, which are kept.
var trailingBlank = regexp.MustCompile(` +((?:\x1b\[[0-9;]*m)*)$`)
