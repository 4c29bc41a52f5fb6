package bench

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// A line's id is "b<sender>-<seq>-<unix nanoseconds>": the sender's slot,
// its line number from 0, and when it was sent. The timestamp has 19
// digits (from 2001 to 2286), which makes a false match in screen output
// all but impossible and a cut-off id detectable.
const (
	idPrefix    = 'b'
	nanoDigits  = 19
	maxIDLen    = 1 + 10 + 1 + 10 + 1 + nanoDigits
	minIDLen    = 1 + 1 + 1 + 1 + 1 + nanoDigits
	minLineBuf  = 4 << 10
	maxLineBuf  = 64 << 10
	maxLineSize = 1 << 20
)

// appendID appends the id of sender's line seq sent at t.
func appendID(b []byte, sender, seq int, t int64) []byte {
	b = append(b, idPrefix)
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, '-')
	return strconv.AppendInt(b, t, 10)
}

// parseID reads an id at the start of b, which must end there or be
// followed by a space. It reports false for anything else.
func parseID(b []byte) (sender, seq int, nanos int64, ok bool) {
	if len(b) == 0 || b[0] != idPrefix {
		return 0, 0, 0, false
	}
	b = b[1:]
	var n [3]int64
	for i := range n {
		j := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			if j >= nanoDigits {
				return 0, 0, 0, false
			}
			n[i] = n[i]*10 + int64(b[j]-'0')
			j++
		}
		if j == 0 || (i < 2 && j > 10) || (i == 2 && j != nanoDigits) {
			return 0, 0, 0, false
		}
		b = b[j:]
		if i < 2 {
			if len(b) == 0 || b[0] != '-' {
				return 0, 0, 0, false
			}
			b = b[1:]
		}
	}
	if len(b) > 0 && b[0] != ' ' {
		return 0, 0, 0, false
	}
	return int(n[0]), int(n[1]), n[2], true
}

// chatText returns the text of a line "<NAME> TEXT" and whether the line
// is one. System and bot lines are chat lines too, by their shape; the
// caller tells them apart by the text.
func chatText(line []byte) (from, text []byte, ok bool) {
	if len(line) < 3 || line[0] != '<' {
		return nil, nil, false
	}
	i := bytes.Index(line, []byte("> "))
	if i < 0 {
		return nil, nil, false
	}
	return line[1:i], line[i+2:], true
}

// errLineTooLong is returned by lineReader.next for a line over maxLineSize.
var errLineTooLong = errors.New("line too long")

// lineReader splits what it reads into lines. It starts with a small
// buffer, so that an idle connection costs little, and doubles it while
// reads fill it. Not safe for concurrent use.
type lineReader struct {
	r          io.Reader
	buf        []byte
	head, tail int   // buf[head:tail] is read and not yet returned
	full       bool  // the last read filled the buffer: grow it
	readAt     int64 // unix nanoseconds of the last read
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r}
}

// next returns the next line without its "\n" (and a "\r" before it). The
// slice is valid until the next call. At the end of the input a last
// unterminated line is dropped.
func (lr *lineReader) next() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.head:lr.tail], '\n'); i >= 0 {
			line := lr.buf[lr.head : lr.head+i]
			lr.head += i + 1
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		}
		if err := lr.fill(); err != nil {
			return nil, err
		}
	}
}

func (lr *lineReader) fill() error {
	if lr.head > 0 {
		lr.tail = copy(lr.buf, lr.buf[lr.head:lr.tail])
		lr.head = 0
	}
	if lr.tail == len(lr.buf) || (lr.full && len(lr.buf) < maxLineBuf) {
		size := max(minLineBuf, 2*len(lr.buf))
		if size > maxLineSize {
			return errLineTooLong
		}
		nb := make([]byte, size)
		copy(nb, lr.buf[:lr.tail])
		lr.buf = nb
	}
	n, err := lr.r.Read(lr.buf[lr.tail:])
	lr.readAt = time.Now().UnixNano()
	lr.full = lr.tail+n == len(lr.buf)
	lr.tail += n
	if n > 0 {
		return nil
	}
	return err
}
