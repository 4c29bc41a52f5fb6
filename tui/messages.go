package tui

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"chatserver/chat"
)

// Message buffer bounds. The pane keeps the last maxLive messages; scrolling
// back may load older ones from the store up to maxKept in all, and the
// extra is dropped again once the user is back at the bottop.
const (
	maxLive    = 1000
	maxKept    = 2000
	recentLen  = 100 // messages shown on entering a room
	maxOwn     = 200 // the session's own lines kept across rooms (as a room's history)
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
	entryWhisperSent // from is the user it went to
	entrySystem
	entryBot
)

// entry flags.
const (
	flagOwn     = 1 << iota // said by this session's user
	flagMention             // names this session's user
	flagAction              // an action (/me): "* NAME TEXT"
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
	lines []line // rendered at the pane's width, nil until drawn
}

// pos is a line of the messages pane: line l of entry e.
type pos struct{ e, l int }

// messagesPane is the messages in the centre: the room's and the
// session's own lines (whispers, notices, replies) in time order, scrolled
// by keys and the wheel, older ones loaded from the store past the top.
type messagesPane struct {
	ctx  context.Context // the connection's, for loading older messages
	sess *chat.Session
	th   *theme
	name string // the session's user, for mentions

	entries   []entry // the room's messages and own, in time order
	own       []entry // the session's own lines (Room ""), kept across rooms
	follow    bool    // stick to the bottom
	anchor    pos     // the bottom line when not following
	unseen    int     // entries arrived while scrolled back
	loading   bool    // an Older call is in flight
	exhausted bool    // the store has nothing older
	gen       int     // bumped on entering a room: late Older results are dropped
	dedupe    []*chat.Event
	dedupeN   int  // batches the dedupe list still applies to
	bell      bool // a line that names the user came; the model rings

	w, h  int
	win   []line
	dirty bool
}

func newMessagesPane(ctx context.Context, sess *chat.Session, th *theme, room string) *messagesPane {
	p := &messagesPane{ctx: ctx, sess: sess, th: th, name: sess.Name(), follow: true}
	p.Update(enterMsg{room})
	return p
}

// Init does nothing.
func (p *messagesPane) Init() tea.Cmd { return nil }

// Update takes the keys and wheel that scroll, what a scroll past the top
// loaded, and a change of room.
func (p *messagesPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "pgup":
			return p.scrollUp(max(p.h-1, 1))
		case "pgdown":
			p.scroll(max(p.h-1, 1))
		case "esc":
			p.toBottom()
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			return p.scrollUp(wheelLines)
		case tea.MouseWheelDown:
			p.scroll(wheelLines)
		}
	case olderMsg:
		p.older(msg)
	case enterMsg:
		p.enter()
	}
	return nil
}

// SetSize sizes the pane; a new width wraps every message again.
func (p *messagesPane) SetSize(w, h int) {
	old := p.w
	p.w, p.h, p.dirty = w, h, true
	if w != old {
		p.rewrap()
	}
}

// Dirty reports whether View will draw anew.
func (p *messagesPane) Dirty() bool { return p.dirty }

// View returns the lines of the pane, top first, fewer than its height
// when the messages do not fill it.
func (p *messagesPane) View() []line {
	if p.dirty {
		p.window()
		p.dirty = false
	}
	return p.win
}

// status fills in what the status bar says of the pane.
func (p *messagesPane) status(st *statusMsg) {
	st.back, st.unseen, st.loading = !p.follow, p.unseen, p.loading
	if p.follow {
		st.unseen = 0
	}
}

// enter shows the session's room: its last messages, and the session's
// own lines between them.
func (p *messagesPane) enter() {
	p.gen++
	p.loading, p.exhausted = false, false
	p.follow, p.unseen, p.anchor = true, 0, pos{}
	recent := p.sess.Recent(recentLen)
	msgs := make([]entry, 0, len(recent))
	for _, ev := range recent {
		if en, ok := p.entryOf(ev); ok {
			msgs = append(msgs, en)
		}
	}
	// A busy room's buffer is not kept for a quiet one; the session's own
	// lines go with it, between the room's by time.
	p.entries = merge(msgs, p.ownLines(), 16)
	// Messages said while Recent ran may also be queued in the outbox:
	// until the next drain has been handled, skip those already shown.
	p.dedupe, p.dedupeN = recent, 2
	p.dirty = true
}

// add shows what ev says, if anything, unless it was said in a room other
// than room, or already shown by Recent. The session's own lines are kept
// for the next room too.
func (p *messagesPane) add(ev *chat.Event, room string) {
	switch {
	case (ev.Kind == chat.KindChat || ev.Kind == chat.KindBot) && ev.Room != "" && ev.Room != room:
		return // said in the room we just left
	case ev.Kind == chat.KindChat && p.isDup(ev):
		return // already shown by Recent
	}
	en, ok := p.entryOf(ev)
	if !ok {
		return
	}
	if ev.Room == "" { // whispers, notices, replies: this session's, whatever the room
		p.keepOwn(en)
	}
	if en.flags&flagMention != 0 {
		p.bell = true
	}
	p.appendEntry(en)
}

// added ends a drain's worth of add: the oldest entries past the bounds go.
func (p *messagesPane) added() {
	p.trim()
	if p.dedupeN > 0 {
		if p.dedupeN--; p.dedupeN == 0 {
			p.dedupe = nil
		}
	}
}

// isDup reports whether ev is one of the messages Recent already showed.
func (p *messagesPane) isDup(ev *chat.Event) bool {
	for _, d := range p.dedupe {
		if d == ev {
			return true
		}
	}
	return false
}

// local shows a system line that only this screen makes, made at now.
func (p *messagesPane) local(text string, now time.Time) {
	en := entry{kind: entrySystem, from: chat.SystemName, text: text, at: now.UnixNano()}
	p.keepOwn(en)
	p.appendEntry(en)
	p.trim()
}

// scrollUp scrolls back n lines and, at the top, loads older messages.
func (p *messagesPane) scrollUp(n int) tea.Cmd {
	if !p.scroll(-n) || p.loading || p.exhausted {
		return nil
	}
	p.loading = true
	s, ctx, gen, before := p.sess, p.ctx, p.gen, p.oldestSeq()
	return func() tea.Msg {
		msgs, err := s.Older(ctx, before, olderBatch)
		return olderMsg{gen: gen, msgs: msgs, err: err}
	}
}

// older shows what a scroll past the top loaded.
func (p *messagesPane) older(msg olderMsg) {
	if msg.gen != p.gen {
		return // from a room we left
	}
	p.loading = false
	if msg.err != nil {
		p.local("Could not load older messages.", time.Now())
		return
	}
	if len(msg.msgs) < olderBatch {
		p.exhausted = true
	}
	p.prepend(msg.msgs)
}

// entryOf turns an event into an entry. ok is false for events with no line.
func (p *messagesPane) entryOf(ev *chat.Event) (en entry, ok bool) {
	en = entry{from: ev.From, text: ev.Text, at: ev.Time.UnixNano(), seq: ev.Seq}
	switch ev.Kind {
	case chat.KindChat:
		en.kind = entryChat
	case chat.KindHistory:
		en.kind = entryHistory
	case chat.KindWhisper:
		en.kind = entryWhisper
	case chat.KindWhisperSent:
		en.kind, en.from = entryWhisperSent, ev.To
	case chat.KindSystem:
		en.kind = entrySystem
	case chat.KindBot:
		en.kind = entryBot
	default:
		return en, false
	}
	if en.kind == entryChat || en.kind == entryHistory {
		en.flags = p.messageFlags(ev.From, ev.Text, ev.Action)
	}
	return en, true
}

// messageFlags returns the flags of a room message from from saying text.
func (p *messagesPane) messageFlags(from, text string, action bool) (f uint8) {
	switch {
	case from == p.name:
		f |= flagOwn
	case mentions(text, p.name):
		f |= flagMention
	}
	if action {
		f |= flagAction
	}
	return f
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
// returns at least one line, none wider than w in any terminal. It runs
// once per entry and width: the lines are kept in the entry.
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
		if en.flags&flagAction != 0 { // "* NAME TEXT"
			head = "* " + en.from
			plain = head + " " + en.text
		}
		switch {
		case en.flags&flagMention != 0:
			bodyStyle = t.mention
		case en.kind == entryHistory:
			bodyStyle = t.faint
		case en.flags&flagAction != 0:
			bodyStyle = headStyle // all of it in the name's colour
		}
	case entryWhisper:
		plain = en.from + " whispered to you: " + en.text
		bodyStyle = t.whisper
	case entryWhisperSent:
		plain = "you whispered to " + en.from + ": " + en.text
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
	plain = shown(plain) // in cells every terminal agrees on (width.go)
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
func (p *messagesPane) lines(i int) []line {
	en := &p.entries[i]
	if en.lines == nil {
		en.lines = render(p.th, en, p.w)
	}
	return en.lines
}

// last returns the position of the last line.
func (p *messagesPane) last() pos {
	e := len(p.entries) - 1
	return pos{e, len(p.lines(e)) - 1}
}

// back returns at moved up by up to n lines and how far it moved.
func (p *messagesPane) back(at pos, n int) (pos, int) {
	moved := 0
	for moved < n {
		if at.l > 0 {
			step := min(at.l, n-moved)
			at.l -= step
			moved += step
			continue
		}
		if at.e == 0 {
			break
		}
		at.e--
		at.l = len(p.lines(at.e)) - 1
		moved++
	}
	return at, moved
}

// forward returns at moved down by up to n lines and how far it moved.
func (p *messagesPane) forward(at pos, n int) (pos, int) {
	moved := 0
	for moved < n {
		if ll := len(p.lines(at.e)); at.l < ll-1 {
			step := min(ll-1-at.l, n-moved)
			at.l += step
			moved += step
			continue
		}
		if at.e == len(p.entries)-1 {
			break
		}
		at.e++
		at.l = 0
		moved++
	}
	return at, moved
}

// bottom returns the last visible line of the pane.
func (p *messagesPane) bottom() pos {
	if p.follow {
		return p.last()
	}
	return p.anchor
}

// scroll moves the pane by n lines, up if n < 0. It reports whether the
// top of the buffer is now on screen, to load older messages.
func (p *messagesPane) scroll(n int) (atTop bool) {
	if len(p.entries) == 0 || p.h <= 0 {
		return true
	}
	at := p.bottom()
	if n < 0 {
		at, _ = p.back(at, -n)
	} else {
		at, _ = p.forward(at, n)
	}
	// Keep the window full: the bottom line is at least h-1 lines down.
	if _, up := p.back(at, p.h-1); up < p.h-1 {
		at, _ = p.forward(pos{0, 0}, p.h-1)
		atTop = true
	}
	p.anchor = at
	p.follow = at == p.last()
	if p.follow {
		p.unseen = 0
	}
	p.dirty = true
	return atTop
}

// showFrom shows entry i at the top of the pane if the entries from it
// to the newest do not fit: the lines a login sent (the MOTD, the topic)
// are read from their start, and the status bar says how many came below
// (Esc or PgDn to see them). If they fit, the pane follows as before.
func (p *messagesPane) showFrom(i int) {
	if !p.follow || i < 0 || i >= len(p.entries) || p.h <= 0 {
		return
	}
	at, _ := p.forward(pos{i, 0}, p.h-1)
	if at == p.last() {
		return // they fit
	}
	p.follow, p.anchor = false, at
	p.unseen = max(len(p.entries)-1-at.e, 1) // the last one shown in part counts
	p.dirty = true
}

// toBottom makes the pane follow new messages again.
func (p *messagesPane) toBottom() {
	if !p.follow {
		p.follow, p.unseen = true, 0
		p.dirty = true
	}
}

// appendEntry adds en at the bottom, dropping the oldest entries past the
// bounds.
func (p *messagesPane) appendEntry(en entry) {
	p.entries = append(p.entries, en)
	if !p.follow {
		p.unseen++
	}
	p.dirty = true
}

// trim drops the oldest entries past the bounds: maxLive while following,
// maxKept while scrolled back. It drops in batches, so a steady stream of
// messages copies the buffer once every maxLive/4 messages.
func (p *messagesPane) trim() {
	limit := maxLive
	if !p.follow {
		limit = maxKept
	}
	if len(p.entries) <= limit+limit/4 {
		return
	}
	k := len(p.entries) - limit
	p.dropFront(k)
}

// dropFront drops the k oldest entries.
func (p *messagesPane) dropFront(k int) {
	n := copy(p.entries, p.entries[k:])
	clear(p.entries[n:])
	p.entries = p.entries[:n]
	p.exhausted = false // the store has what was dropped
	if !p.follow {
		p.anchor.e -= k
		if p.anchor.e < 0 {
			p.anchor = pos{0, 0}
			p.scroll(0)
		}
	}
	p.dirty = true
}

// prepend adds older messages above the first entry.
func (p *messagesPane) prepend(msgs []chat.Message) {
	if room := len(msgs) + len(p.entries) - maxKept; room > 0 {
		msgs = msgs[min(room, len(msgs)):]
		p.exhausted = true
	}
	if len(msgs) == 0 {
		return
	}
	older := make([]entry, len(msgs))
	for i, msg := range msgs {
		older[i] = entry{kind: entryChat, flags: p.messageFlags(msg.From, msg.Text, msg.Action),
			from: msg.From, text: msg.Text, at: msg.Time.UnixNano(), seq: msg.Seq}
	}
	// The session's own lines above the room's oldest message may be older
	// still than some of these: merge, and keep the anchor on its entry.
	if !p.follow {
		at := p.entries[p.anchor.e].at
		p.anchor.e += sort.Search(len(older), func(i int) bool { return older[i].at > at })
	}
	p.entries = merge(older, p.entries, 16)
	p.dirty = true
}

// merge returns a and b, each in time order, as one list in time order,
// a's entry first of two at the same time, with room for extra more.
func merge(a, b []entry, extra int) []entry {
	out := make([]entry, 0, len(a)+len(b)+extra)
	for len(a) > 0 && len(b) > 0 {
		if b[0].at < a[0].at {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// keepOwn keeps en, one of the session's own lines (a whisper, a notice, a
// reply), to show again in whatever room is entered next: the last maxOwn
// of thep. The list is cut back to maxOwn when it reaches twice that, so
// that keeping a line is not a copy of the list.
func (p *messagesPane) keepOwn(en entry) {
	en.lines = nil // rendered again where it is shown next
	if len(p.own) >= 2*maxOwn {
		n := copy(p.own, p.own[len(p.own)-maxOwn+1:])
		clear(p.own[n:])
		p.own = p.own[:n]
	}
	p.own = append(p.own, en)
}

// ownLines returns the session's own lines to show: the last maxOwn.
func (p *messagesPane) ownLines() []entry { return p.own[max(len(p.own)-maxOwn, 0):] }

// oldestSeq returns the place in the room's order to load older messages
// before: that of the oldest room message shown, or the end of the room's
// history if none is.
func (p *messagesPane) oldestSeq() uint64 {
	for i := range p.entries {
		if k := p.entries[i].kind; k == entryChat || k == entryHistory {
			return p.entries[i].seq
		}
	}
	return math.MaxUint64
}

// window fills p.win with the lines of the pane, top first.
func (p *messagesPane) window() {
	p.win = p.win[:0]
	if len(p.entries) == 0 || p.h <= 0 {
		return
	}
	at := p.bottom()
	for n := 0; n < p.h; n++ {
		p.win = append(p.win, p.lines(at.e)[at.l])
		if at.l > 0 {
			at.l--
			continue
		}
		if at.e == 0 {
			break
		}
		at.e--
		at.l = len(p.lines(at.e)) - 1
	}
	for i, j := 0, len(p.win)-1; i < j; i, j = i+1, j-1 {
		p.win[i], p.win[j] = p.win[j], p.win[i]
	}
}

// rewrap forgets every rendered line after the pane's width changed and
// keeps the scroll position on the same entry.
func (p *messagesPane) rewrap() {
	for i := range p.entries {
		p.entries[i].lines = nil
	}
	if !p.follow && len(p.entries) > 0 {
		p.anchor.l = len(p.lines(p.anchor.e)) - 1
		p.scroll(0)
	}
	p.dirty = true
}
