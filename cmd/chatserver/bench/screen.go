package bench

import "unicode/utf8"

// screen is the little terminal a pty client needs to find ids in a TUI's
// output. A cell-diffing renderer does not print a new line whole: it
// rewrites only the cells that changed (a line "b1-6-…" drawn over
// "b1-5-…" comes out as "6"), skips or repeats cells with cursor moves,
// ECH and REP, and scrolls regions. So ids cannot be searched for in the
// byte stream; they are searched for in the rows the stream drew. Each
// cell keeps one byte: the character if it is ASCII, '?' otherwise; wide
// characters take two cells. Styles, modes and titles are parsed and
// ignored. Not safe for concurrent use.
//
// It is not github.com/charmbracelet/x/vt (which the tests use to read the
// UI) because the bench client runs beside the server, on the same cores,
// with hundreds of screens: BenchmarkScreenUpdate feeds both a recorded
// 120x40 UI session (3 KB a read) and measured 27–36 µs per update here,
// with no allocation, against 155–271 µs and 1 831 allocations for x/vt's
// Write alone (see BENCHMARKS.md). At 500 screens and 10 lines a second,
// that is 0.15 of a core against over one.
type screen struct {
	w, h     int
	cells    []byte
	dirty    []bool
	x, y     int
	top, bot int // scroll region, inclusive
	saveX    int
	saveY    int
	wrapNext bool // the last column was written: the next character wraps
	noWrap   bool // DECAWM reset
	last     byte // last character printed, for REP

	state  uint8
	params [16]int
	np     int // params in use; params[np] is being parsed
	priv   byte
	utf    [utf8.UTFMax]byte
	nutf   int
}

const (
	stGround = iota
	stEsc
	stEscInter
	stCSI
	stString
	stStringEsc
)

func newScreen(w, h int) *screen {
	s := &screen{w: w, h: h, cells: make([]byte, w*h), dirty: make([]bool, h)}
	s.reset()
	return s
}

func (s *screen) reset() {
	for i := range s.cells {
		s.cells[i] = ' '
	}
	s.x, s.y, s.top, s.bot = 0, 0, 0, s.h-1
	s.wrapNext = false
}

// row returns row y's cells.
func (s *screen) row(y int) []byte { return s.cells[y*s.w : (y+1)*s.w] }

// Write draws p. It never fails.
func (s *screen) Write(p []byte) (int, error) {
	for _, c := range p {
		s.step(c)
	}
	return len(p), nil
}

// scanDirty calls fn with each row drawn on since the last scan.
func (s *screen) scanDirty(fn func(row []byte)) {
	for y, d := range s.dirty {
		if d {
			s.dirty[y] = false
			fn(s.row(y))
		}
	}
}

func (s *screen) step(c byte) {
	switch s.state {
	case stGround:
		switch {
		case c == 0x1b:
			s.state = stEsc
			s.nutf = 0
		case c < 0x20 || c == 0x7f:
			s.control(c)
		case c < 0x80:
			s.nutf = 0
			s.put(c, 1)
		default:
			s.utf8Byte(c)
		}
	case stEsc:
		s.esc(c)
	case stEscInter:
		if c >= 0x30 && c <= 0x7e {
			s.state = stGround
		} else if c < 0x20 && c != 0x1b {
			s.control(c)
		} else if c == 0x1b {
			s.state = stEsc
		}
	case stCSI:
		s.csiByte(c)
	case stString:
		switch c {
		case 0x07:
			s.state = stGround
		case 0x1b:
			s.state = stStringEsc
		}
	case stStringEsc:
		if c == '\\' {
			s.state = stGround
		} else {
			s.state = stString
		}
	}
}

func (s *screen) utf8Byte(c byte) {
	if c&0xc0 != 0x80 { // a lead byte starts over
		s.nutf = 0
	}
	if s.nutf >= len(s.utf) {
		s.nutf = 0
		return
	}
	s.utf[s.nutf] = c
	s.nutf++
	if !utf8.FullRune(s.utf[:s.nutf]) {
		return
	}
	r, _ := utf8.DecodeRune(s.utf[:s.nutf])
	s.nutf = 0
	if w := runeWidth(r); w > 0 {
		s.put('?', w)
	}
}

func (s *screen) control(c byte) {
	switch c {
	case '\r':
		s.x, s.wrapNext = 0, false
	case '\n', '\v', '\f':
		s.lineFeed()
	case '\b':
		if s.x > 0 {
			s.x--
		}
		s.wrapNext = false
	case '\t':
		s.x = min(s.w-1, (s.x/8+1)*8)
	}
}

func (s *screen) put(c byte, width int) {
	if s.wrapNext && !s.noWrap {
		s.x = 0
		s.lineFeed()
	}
	s.wrapNext = false
	if width == 2 && s.x == s.w-1 {
		if s.noWrap {
			return
		}
		s.row(s.y)[s.x] = ' '
		s.x = 0
		s.lineFeed()
	}
	r := s.row(s.y)
	r[s.x] = c
	if width == 2 {
		r[s.x+1] = c
	}
	s.dirty[s.y] = true
	s.last = c
	if s.x+width >= s.w {
		s.x = s.w - 1
		s.wrapNext = true
	} else {
		s.x += width
	}
}

func (s *screen) lineFeed() {
	s.wrapNext = false
	if s.y == s.bot {
		s.scrollUp(1)
	} else if s.y < s.h-1 {
		s.y++
	}
}

func (s *screen) esc(c byte) {
	s.state = stGround
	switch c {
	case '[':
		s.state = stCSI
		s.np, s.priv = 0, 0
		s.params[0] = 0
	case ']', 'P', 'X', '^', '_':
		s.state = stString
	case '7':
		s.saveX, s.saveY = s.x, s.y
	case '8':
		s.x, s.y, s.wrapNext = s.saveX, s.saveY, false
	case 'D':
		s.lineFeed()
	case 'E':
		s.x = 0
		s.lineFeed()
	case 'M':
		s.wrapNext = false
		if s.y == s.top {
			s.scrollDown(1)
		} else if s.y > 0 {
			s.y--
		}
	case 'c':
		s.reset()
	default:
		if c >= 0x20 && c <= 0x2f {
			s.state = stEscInter
		}
	}
}

func (s *screen) csiByte(c byte) {
	switch {
	case c >= '0' && c <= '9':
		if s.params[s.np] < 1<<20 {
			s.params[s.np] = s.params[s.np]*10 + int(c-'0')
		}
	case c == ';' || c == ':':
		if s.np < len(s.params)-1 {
			s.np++
			s.params[s.np] = 0
		}
	case c >= 0x3c && c <= 0x3f: // < = > ?
		s.priv = c
	case c >= 0x20 && c <= 0x2f: // intermediates
		s.priv = c
	case c >= 0x40 && c <= 0x7e:
		s.state = stGround
		s.csi(c)
	case c == 0x1b:
		s.state = stEsc
	case c < 0x20:
		s.control(c)
	}
}

// arg returns parameter i, or def if it is missing or zero.
func (s *screen) arg(i, def int) int {
	if i > s.np || s.params[i] == 0 {
		return def
	}
	return s.params[i]
}

func (s *screen) csi(final byte) {
	if s.priv != 0 {
		if s.priv == '?' && (final == 'h' || final == 'l') {
			for i := 0; i <= s.np; i++ {
				switch s.params[i] {
				case 7:
					s.noWrap = final == 'l'
				case 47, 1047, 1049:
					s.reset()
					s.markAll()
				}
			}
		}
		return
	}
	n := s.arg(0, 1)
	switch final {
	case 'A':
		s.moveTo(s.x, s.y-n)
	case 'B', 'e':
		s.moveTo(s.x, s.y+n)
	case 'C', 'a':
		s.moveTo(s.x+n, s.y)
	case 'D':
		s.moveTo(s.x-n, s.y)
	case 'E':
		s.moveTo(0, s.y+n)
	case 'F':
		s.moveTo(0, s.y-n)
	case 'G', '`':
		s.moveTo(n-1, s.y)
	case 'H', 'f':
		s.moveTo(s.arg(1, 1)-1, n-1)
	case 'd':
		s.moveTo(s.x, n-1)
	case 'J':
		switch s.arg(0, 0) {
		case 0:
			s.clear(s.y*s.w+s.x, len(s.cells))
		case 1:
			s.clear(0, s.y*s.w+s.x+1)
		default:
			s.clear(0, len(s.cells))
		}
	case 'K':
		switch s.arg(0, 0) {
		case 0:
			s.clear(s.y*s.w+s.x, (s.y+1)*s.w)
		case 1:
			s.clear(s.y*s.w, s.y*s.w+s.x+1)
		default:
			s.clear(s.y*s.w, (s.y+1)*s.w)
		}
	case 'X':
		s.clear(s.y*s.w+s.x, s.y*s.w+min(s.w, s.x+n))
	case 'b':
		for range min(n, s.w*s.h) {
			s.put(s.last, 1)
		}
	case '@':
		r := s.row(s.y)
		n = min(n, s.w-s.x)
		copy(r[s.x+n:], r[s.x:])
		fill(r[s.x:s.x+n], ' ')
		s.dirty[s.y] = true
	case 'P':
		r := s.row(s.y)
		n = min(n, s.w-s.x)
		copy(r[s.x:], r[s.x+n:])
		fill(r[s.w-n:], ' ')
		s.dirty[s.y] = true
	case 'L':
		if s.y >= s.top && s.y <= s.bot {
			s.shift(s.y, s.bot, n)
		}
	case 'M':
		if s.y >= s.top && s.y <= s.bot {
			s.shift(s.y, s.bot, -n)
		}
	case 'S':
		s.scrollUp(n)
	case 'T':
		s.scrollDown(n)
	case 'r':
		top, bot := s.arg(0, 1)-1, s.arg(1, s.h)-1
		if top < bot && bot < s.h {
			s.top, s.bot = top, bot
			s.moveTo(0, 0)
		}
	case 's':
		s.saveX, s.saveY = s.x, s.y
	case 'u':
		s.moveTo(s.saveX, s.saveY)
	}
}

func (s *screen) moveTo(x, y int) {
	s.x = max(0, min(s.w-1, x))
	s.y = max(0, min(s.h-1, y))
	s.wrapNext = false
}

// clear blanks cells [from, to). Blanking draws nothing to scan for.
func (s *screen) clear(from, to int) {
	if from < to {
		fill(s.cells[from:to], ' ')
	}
}

func (s *screen) scrollUp(n int) { s.shift(s.top, s.bot, -n) }

func (s *screen) scrollDown(n int) { s.shift(s.top, s.bot, n) }

// shift moves rows top..bot down by n (up if n < 0), blanking the rows
// uncovered. Moved rows hold what was already scanned; nothing is marked.
func (s *screen) shift(top, bot, n int) {
	rows := bot - top + 1
	if n > rows {
		n = rows
	}
	if n < -rows {
		n = -rows
	}
	region := s.cells[top*s.w : (bot+1)*s.w]
	if n > 0 {
		copy(region[n*s.w:], region)
		fill(region[:n*s.w], ' ')
	} else if n < 0 {
		copy(region, region[-n*s.w:])
		fill(region[(rows+n)*s.w:], ' ')
	}
	// Dirty marks move with their rows, so a row drawn on and then
	// scrolled before a scan is still scanned.
	d := s.dirty[top : bot+1]
	if n > 0 {
		copy(d[n:], d)
		clear(d[:n])
	} else if n < 0 {
		copy(d, d[-n:])
		clear(d[rows+n:])
	}
}

func (s *screen) markAll() {
	for i := range s.dirty {
		s.dirty[i] = true
	}
}

func fill(b []byte, c byte) {
	for i := range b {
		b[i] = c
	}
}

// runeWidth is how many cells r takes: roughly wcwidth, enough to keep the
// columns of ASCII text right on a line that also holds wide characters.
func runeWidth(r rune) int {
	switch {
	case r == 0x200d || (r >= 0x300 && r <= 0x36f) || (r >= 0x200b && r <= 0x200f) || (r >= 0xfe00 && r <= 0xfe0f):
		return 0
	case (r >= 0x1100 && r <= 0x115f) || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1f64f) || (r >= 0x1f900 && r <= 0x1f9ff) ||
		(r >= 0x20000 && r <= 0x3fffd):
		return 2
	}
	return 1
}

// findIDs calls fn for every id in b: an idPrefix that does not follow a
// letter or digit, then digits '-' digits '-' nanoDigits digits, not
// followed by a digit.
func findIDs(b []byte, fn func(sender, seq int, nanos int64)) {
	for i := 0; i+minIDLen <= len(b); i++ {
		if b[i] != idPrefix || (i > 0 && isAlnum(b[i-1])) {
			continue
		}
		end := i + 1
		for end < len(b) && (isDigit(b[end]) || b[end] == '-') && end-i <= maxIDLen {
			end++
		}
		if sender, seq, nanos, ok := parseID(b[i:end]); ok && (end == len(b) || !isAlnum(b[end])) {
			fn(sender, seq, nanos)
			i = end - 1
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }
