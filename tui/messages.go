package tui

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

// Message buffer bounds. The pane keeps the last maxLive messages; scrolling
// back may load older ones from the store up to maxKept in all, and the
// extra is dropped again once the user is back at the bottom.
const (
	maxLive    = 1000
	maxKept    = 2000
	recentLen  = 100 // messages shown on entering a room
	olderBatch = 100 // messages loaded by one scroll past the top
	wheelLines = 3   // lines a mouse wheel notch scrolls
	stampWidth = 6   // "15:04 "
)

// entryKind is how an entry is drawn.
type entryKind uint8

const (
	entryChat entryKind = iota
	entryHistory
	entryWhisper
	entrySystem
	entryBot
)

// entry flags.
const (
	flagOwn     = 1 << iota // said by this session's user
	flagMention             // names this session's user
)

// entry is one message line of the messages pane. Its text is shared with
// the engine's event (strings are immutable); it is styled and wrapped the
// first time it is drawn at the pane's width, and again only after a resize.
type entry struct {
	kind  entryKind
	flags uint8
	at    int64  // unix nanoseconds
	seq   uint64 // a room message's place in the room's order (chat.Event.Seq)
	from  string
	text  string
	lines []line // rendered at Model.msgW, nil until drawn
}

// line is one styled screen line and its width in cells.
type line struct {
	s string
	w int
}

// pos is a line of the messages pane: line l of entry e.
type pos struct{ e, l int }

// entryOf turns an event into an entry. ok is false for events with no line.
func (m *Model) entryOf(ev *chat.Event) (en entry, ok bool) {
	en = entry{from: ev.From, text: ev.Text, at: ev.Time.UnixNano(), seq: ev.Seq}
	switch ev.Kind {
	case chat.KindChat:
		en.kind = entryChat
	case chat.KindHistory:
		en.kind = entryHistory
	case chat.KindWhisper:
		en.kind = entryWhisper
	case chat.KindSystem:
		en.kind = entrySystem
	case chat.KindBot:
		en.kind = entryBot
	default:
		return en, false
	}
	if en.kind == entryChat || en.kind == entryHistory {
		switch {
		case ev.From == m.name:
			en.flags |= flagOwn
		case mentions(ev.Text, m.name):
			en.flags |= flagMention
		}
	}
	return en, true
}

// mentions reports whether text contains name as a word, ignoring case.
func mentions(text, name string) bool {
	if name == "" || len(text) < len(name) {
		return false
	}
	for i := 0; i+len(name) <= len(text); {
		j := indexFold(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if !wordRuneBefore(text, start) && !wordRuneAt(text, end) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

// indexFold is strings.Index ignoring case, without allocating.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func isWordRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func wordRuneBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func wordRuneAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// render styles en with t and wraps it for a pane w cells wide. It
// returns at least one line, none wider than w.
func render(t *theme, en *entry, w int) []line {
	stamp := w >= 24
	bw := w
	if stamp {
		bw -= stampWidth
	}
	bw = max(bw, 1)

	var head, headStyle, bodyStyle, plain string
	switch en.kind {
	case entryChat, entryHistory:
		head, headStyle = en.from, t.nameColour(en.from)
		plain = en.from + ": " + en.text
		switch {
		case en.flags&flagMention != 0:
			bodyStyle = t.mention
		case en.kind == entryHistory:
			bodyStyle = t.faint
		}
	case entryWhisper:
		plain = en.from + " whispered to you: " + en.text
		bodyStyle = t.whisper
	case entryBot:
		head, headStyle, bodyStyle = en.from, t.botName, t.bot
		plain = en.from + ": " + en.text
	default: // entrySystem: the engine's own multi-line texts (the /help block) are split and their tabs expanded
		plain = strings.ReplaceAll(strings.Trim(en.text, "\n"), "\t", "  ")
		bodyStyle = t.system
	}
	if strings.IndexByte(plain, '\t') >= 0 { // a plugin's text; the engine's own lines are handled above
		plain = strings.ReplaceAll(plain, "\t", "  ")
	}
	wrapped := ansi.Wrap(plain, bw, "")
	n := strings.Count(wrapped, "\n") + 1
	out := make([]line, 0, n)
	var ts string
	if stamp {
		var buf [8]byte
		ts = t.faint + string(time.Unix(0, en.at).AppendFormat(buf[:0], "15:04")) + t.reset + " "
	}
	for i := 0; len(wrapped) > 0 || i == 0; i++ {
		seg, rest, _ := strings.Cut(wrapped, "\n")
		wrapped = rest
		if ansi.StringWidth(seg) > bw {
			seg = ansi.Truncate(seg, bw, "")
		}
		sw := ansi.StringWidth(seg)
		var b strings.Builder
		b.Grow(len(seg) + len(ts) + 32)
		switch {
		case stamp && i == 0:
			b.WriteString(ts)
		case stamp:
			b.WriteString("      ")
		}
		if i == 0 && head != "" && strings.HasPrefix(seg, head) {
			b.WriteString(headStyle)
			b.WriteString(head)
			b.WriteString(t.reset)
			seg = seg[len(head):]
		}
		if seg != "" {
			b.WriteString(bodyStyle)
			b.WriteString(seg)
			if bodyStyle != "" {
				b.WriteString(t.reset)
			}
		}
		if stamp {
			sw += stampWidth
		}
		out = append(out, line{s: b.String(), w: sw})
	}
	return out
}

// lines returns entry i rendered at the pane's width.
func (m *Model) lines(i int) []line {
	en := &m.entries[i]
	if en.lines == nil {
		en.lines = render(m.th, en, m.msgW)
	}
	return en.lines
}

// last returns the position of the last line.
func (m *Model) last() pos {
	e := len(m.entries) - 1
	return pos{e, len(m.lines(e)) - 1}
}

// back returns p moved up by up to n lines and how far it moved.
func (m *Model) back(p pos, n int) (pos, int) {
	moved := 0
	for moved < n {
		if p.l > 0 {
			step := min(p.l, n-moved)
			p.l -= step
			moved += step
			continue
		}
		if p.e == 0 {
			break
		}
		p.e--
		p.l = len(m.lines(p.e)) - 1
		moved++
	}
	return p, moved
}

// forward returns p moved down by up to n lines and how far it moved.
func (m *Model) forward(p pos, n int) (pos, int) {
	moved := 0
	for moved < n {
		if ll := len(m.lines(p.e)); p.l < ll-1 {
			step := min(ll-1-p.l, n-moved)
			p.l += step
			moved += step
			continue
		}
		if p.e == len(m.entries)-1 {
			break
		}
		p.e++
		p.l = 0
		moved++
	}
	return p, moved
}

// bottom returns the last visible line of the pane.
func (m *Model) bottom() pos {
	if m.follow {
		return m.last()
	}
	return m.anchor
}

// scroll moves the pane by n lines, up if n < 0. It reports whether the
// top of the buffer is now on screen, to load older messages.
func (m *Model) scroll(n int) (atTop bool) {
	if len(m.entries) == 0 || m.bodyH <= 0 {
		return true
	}
	p := m.bottom()
	if n < 0 {
		p, _ = m.back(p, -n)
	} else {
		p, _ = m.forward(p, n)
	}
	// Keep the window full: the bottom line is at least bodyH-1 lines down.
	if _, up := m.back(p, m.bodyH-1); up < m.bodyH-1 {
		p, _ = m.forward(pos{0, 0}, m.bodyH-1)
		atTop = true
	}
	m.anchor = p
	m.follow = p == m.last()
	if m.follow {
		m.unseen = 0
	}
	m.msgsDirty = true
	m.statusDirty = true
	return atTop
}

// toBottom makes the pane follow new messages again.
func (m *Model) toBottom() {
	if !m.follow {
		m.follow, m.unseen = true, 0
		m.msgsDirty, m.statusDirty = true, true
	}
}

// appendEntry adds en at the bottom, dropping the oldest entries past the
// bounds.
func (m *Model) appendEntry(en entry) {
	m.entries = append(m.entries, en)
	if !m.follow {
		m.unseen++
		m.statusDirty = true
	}
	m.msgsDirty = true
}

// trim drops the oldest entries past the bounds: maxLive while following,
// maxKept while scrolled back. It drops in batches, so a steady stream of
// messages copies the buffer once every maxLive/4 messages.
func (m *Model) trim() {
	limit := maxLive
	if !m.follow {
		limit = maxKept
	}
	if len(m.entries) <= limit+limit/4 {
		return
	}
	k := len(m.entries) - limit
	m.dropFront(k)
}

// dropFront drops the k oldest entries.
func (m *Model) dropFront(k int) {
	n := copy(m.entries, m.entries[k:])
	clear(m.entries[n:])
	m.entries = m.entries[:n]
	m.exhausted = false // the store has what was dropped
	if !m.follow {
		m.anchor.e -= k
		if m.anchor.e < 0 {
			m.anchor = pos{0, 0}
			m.scroll(0)
		}
	}
	m.msgsDirty = true
}

// prepend adds older messages above the first entry.
func (m *Model) prepend(msgs []chat.Message) {
	if room := len(msgs) + len(m.entries) - maxKept; room > 0 {
		msgs = msgs[min(room, len(msgs)):]
		m.exhausted = true
	}
	if len(msgs) == 0 {
		return
	}
	old := m.entries
	m.entries = make([]entry, 0, len(msgs)+len(old)+16)
	for _, msg := range msgs {
		en := entry{kind: entryChat, from: msg.From, text: msg.Text, at: msg.Time.UnixNano(), seq: msg.Seq}
		if msg.From == m.name {
			en.flags |= flagOwn
		} else if mentions(msg.Text, m.name) {
			en.flags |= flagMention
		}
		m.entries = append(m.entries, en)
	}
	m.entries = append(m.entries, old...)
	if !m.follow {
		m.anchor.e += len(msgs)
	}
	m.msgsDirty = true
}

// oldestSeq returns the place in the room's order to load older messages
// before: that of the oldest room message shown, or the end of the room's
// history if none is.
func (m *Model) oldestSeq() uint64 {
	for i := range m.entries {
		if k := m.entries[i].kind; k == entryChat || k == entryHistory {
			return m.entries[i].seq
		}
	}
	return math.MaxUint64
}

// window fills m.win with the lines of the pane, top first.
func (m *Model) window() {
	m.win = m.win[:0]
	if len(m.entries) == 0 || m.bodyH <= 0 {
		return
	}
	p := m.bottom()
	for n := 0; n < m.bodyH; n++ {
		m.win = append(m.win, m.lines(p.e)[p.l])
		if p.l > 0 {
			p.l--
			continue
		}
		if p.e == 0 {
			break
		}
		p.e--
		p.l = len(m.lines(p.e)) - 1
	}
	for i, j := 0, len(m.win)-1; i < j; i, j = i+1, j-1 {
		m.win[i], m.win[j] = m.win[j], m.win[i]
	}
}

// rewrap forgets every rendered line after the pane's width changed and
// keeps the scroll position on the same entry.
func (m *Model) rewrap() {
	for i := range m.entries {
		m.entries[i].lines = nil
	}
	if !m.follow && len(m.entries) > 0 {
		m.anchor.l = len(m.lines(m.anchor.e)) - 1
		m.scroll(0)
	}
	m.msgsDirty = true
}
