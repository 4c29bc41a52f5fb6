// Package lineproto is the line protocol of PROTOCOL.md, shared by the
// telnet door and by SSH sessions without a pty: framing of input lines,
// the login dialogue, flood control, and a writer that coalesces every
// queued line into one write.
package lineproto

import "io"

// MaxLine is the longest line accepted, in raw bytes as received (telnet
// IAC sequences included, the line end excluded).
const MaxLine = 8 << 10

const minReadBuffer = 128

// Telnet protocol bytes.
const (
	iac  = 0xff
	dont = 0xfe
	will = 0xfb
	sb   = 0xfa
	se   = 0xf0
)

type iacState uint8

const (
	stData   iacState = iota
	stIAC             // after IAC
	stOption          // after IAC WILL/WONT/DO/DONT: one option byte follows
	stSub             // inside IAC SB … IAC SE
	stSubIAC          // after IAC inside a sub-negotiation
)

// Reader splits a byte stream into lines: "\r\n", "\n", a bare "\r" and
// "\r\0" each end exactly one line, whatever the read boundaries. With
// telnet on, IAC sequences are removed and IAC IAC is a literal 0xff. A line
// over MaxLine bytes is reported once, as soon as it crosses the limit, and
// the rest of it is discarded. A Reader never holds more than MaxLine bytes
// of a line. Not safe for concurrent use.
type Reader struct {
	r      io.Reader
	telnet bool
	buf    []byte
	pos    int // next unread byte in buf
	end    int // end of valid bytes in buf
	line   []byte
	raw    int // raw bytes of the current line so far
	over   bool
	cr     bool // the previous byte ended a line with '\r'
	state  iacState
	err    error
}

// NewReader returns a Reader of r; telnet says whether to strip IAC sequences.
func NewReader(r io.Reader, telnet bool) *Reader {
	return &Reader{r: r, telnet: telnet}
}

// ReadLine returns the next line without its end. If the line is too long,
// it returns tooLong true and no line, once for that line. At the end of the
// stream an unterminated last line is returned before the error.
func (lr *Reader) ReadLine() (line []byte, tooLong bool, err error) {
	for {
		for lr.pos < lr.end {
			c := lr.buf[lr.pos]
			lr.pos++
			if l, long, done := lr.feed(c); done {
				return l, long, nil
			}
		}
		if lr.err != nil {
			if len(lr.line) > 0 && !lr.over {
				l := lr.take()
				return l, false, nil
			}
			return nil, false, lr.err
		}
		lr.fill()
	}
}

// fill reads into the buffer. It starts small, since most connections only
// ever send short lines, and doubles (up to MaxLine) each time a read fills it.
func (lr *Reader) fill() {
	switch {
	case lr.buf == nil:
		lr.buf = make([]byte, minReadBuffer)
	case lr.end == len(lr.buf) && len(lr.buf) < MaxLine:
		lr.buf = make([]byte, 2*len(lr.buf))
	}
	n, err := lr.r.Read(lr.buf)
	lr.pos, lr.end = 0, n
	if err != nil {
		lr.err = err
	}
}

// feed takes one byte; done says a line (or a too-long report) is ready.
func (lr *Reader) feed(c byte) (line []byte, tooLong, done bool) {
	if lr.telnet && lr.state != stData {
		lr.count()
		switch lr.state {
		case stIAC:
			switch {
			case c == iac:
				lr.state = stData
				lr.cr = false // a literal 0xff is data: a '\n' after it ends a line
				return lr.add(c)
			case c >= will && c <= dont:
				lr.state = stOption
			case c == sb:
				lr.state = stSub
			default:
				lr.state = stData
			}
		case stOption:
			lr.state = stData
		case stSub:
			if c == iac {
				lr.state = stSubIAC
			}
		case stSubIAC:
			if c == se {
				lr.state = stData
			} else {
				lr.state = stSub
			}
		}
		return lr.tooLong()
	}
	if lr.telnet && c == iac {
		lr.state = stIAC
		lr.count()
		return lr.tooLong()
	}
	if lr.cr {
		lr.cr = false
		if c == '\n' || c == 0 {
			return nil, false, false
		}
	}
	switch c {
	case '\r':
		lr.cr = true
		return lr.endLine()
	case '\n':
		return lr.endLine()
	}
	lr.count()
	return lr.add(c)
}

func (lr *Reader) count() { lr.raw++ }

// tooLong reports the line the moment it crosses MaxLine.
func (lr *Reader) tooLong() (line []byte, tooLong, done bool) {
	if lr.raw > MaxLine && !lr.over {
		lr.over = true
		lr.line = lr.line[:0]
		return nil, true, true
	}
	return nil, false, false
}

// add appends c, a byte already counted, to the line.
func (lr *Reader) add(c byte) (line []byte, tooLong, done bool) {
	if l, long, done := lr.tooLong(); done {
		return l, long, done
	}
	if !lr.over {
		lr.line = append(lr.line, c)
	}
	return nil, false, false
}

func (lr *Reader) endLine() (line []byte, tooLong, done bool) {
	if lr.over {
		lr.over = false
		lr.raw = 0
		lr.line = lr.line[:0]
		return nil, false, false
	}
	return lr.take(), false, true
}

// take returns the current line and starts a new one. The returned slice
// is valid until the next call.
func (lr *Reader) take() []byte {
	l := lr.line
	lr.line = lr.line[:0]
	lr.raw = 0
	return l
}
