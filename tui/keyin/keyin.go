// Package keyin turns the bytes a terminal sends into Bubble Tea messages.
//
// It decodes keys, bracketed pastes and mouse reports as Bubble Tea's own
// input reader does, with the same decoder, but it is fed by the caller's
// one reading goroutine and it does not build the table of legacy key
// sequences that Bubble Tea builds for every program (about 100 KB of heap
// each, and 3 goroutines): a server running thousands of programs feeds
// each a Decoder and starts them with tea.WithInput(nil).
//
// What the table added and a Decoder does not know: the rare sequences
// that only rxvt and the Linux console send for a few function keys; they
// arrive as unknown events, which a model ignores. One more difference:
// inside a bracketed paste only ESC starts a sequence, so an 8-bit C1 byte
// (0x9b) cannot end a paste or hide text as it can in Bubble Tea's reader;
// it is dropped, as invalid UTF-8, when the paste ends.
package keyin

import (
	"bytes"
	"sync"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
)

// EscTimeout is how long a lone ESC, or the start of an escape sequence,
// waits for the rest before it is taken as typed: Bubble Tea's default.
const EscTimeout = uv.DefaultEscTimeout

// MaxPending is how many undecoded bytes are kept waiting for the end of a
// sequence; past it, what is held is decoded as it stands.
const MaxPending = 4 << 10

// maxSequence is the longest escape sequence kept whole when MaxPending
// forces what is held to be decoded.
const maxSequence = 64

// MaxPaste is the longest bracketed paste kept; the rest of a longer one is
// discarded, so a client cannot grow the server's memory by pasting.
const MaxPaste = 64 << 10

// Decoder decodes a terminal's input and hands each event to a send
// function, in order. Safe for concurrent use. While bytes are held (the
// start of a sequence, or of a rune), a timer runs: when the terminal has
// sent nothing for EscTimeout, what is held is decoded as it stands.
type Decoder struct {
	send func(tea.Msg)

	mu       sync.Mutex
	dec      uv.EventDecoder
	pending  []byte // bytes not decoded yet: the start of a sequence
	paste    []byte // the bracketed paste being collected
	pasting  bool
	timer    *time.Timer // the ESC timeout; it may fire early (see expire)
	armed    bool        // timer is set to fire
	deadline time.Time   // when what is held expires
	closed   bool
}

// New returns a Decoder that hands each decoded event to send, for
// example a tea.Program's Send.
func New(send func(tea.Msg)) *Decoder {
	return &Decoder{send: send}
}

// Write decodes p, what the terminal sent, and sends every complete
// event. It never fails.
func (d *Decoder) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return len(p), nil
	}
	buf := p
	if len(d.pending) > 0 {
		d.pending = append(d.pending, p...)
		buf = d.pending
	}
	if len(buf) > MaxPending {
		// Too much held: decode it as it stands, but for a last escape
		// sequence that may still be coming in (a paste's end marker cut
		// by the read), which stays held.
		if i := bytes.LastIndexByte(buf, 0x1b); i > 0 && len(buf)-i <= maxSequence {
			d.scan(buf[:i], true)
			buf = buf[i:]
		} else {
			d.keep(d.scan(buf, true))
			return len(p), nil
		}
	}
	d.keep(d.scan(buf, false))
	return len(p), nil
}

// Close decodes whatever is still held as typed and stops the timer.
// Later writes are ignored.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.scan(d.pending, true)
	d.pending = nil
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
	}
	return nil
}

// expire is the ESC timeout. A firing set for bytes that have since been
// decoded, or before input pushed the deadline back, sets the timer again
// for what is left instead.
func (d *Decoder) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed = false
	if d.closed || len(d.pending) == 0 {
		return
	}
	if wait := time.Until(d.deadline); wait > 0 {
		d.arm(wait)
		return
	}
	d.keep(d.scan(d.pending, true))
}

// keep holds rest, the undecoded tail, until more input completes it or
// the terminal has been silent for EscTimeout, as Bubble Tea's reader
// does. Holding is bounded by MaxPending, so input that keeps coming
// cannot hold bytes for ever.
func (d *Decoder) keep(rest []byte) {
	if len(rest) == 0 {
		d.pending = d.pending[:0]
		if cap(d.pending) > 256 {
			d.pending = nil // a long sequence's buffer is not kept for an idle user
		}
		if d.armed {
			d.armed = !d.timer.Stop() // a firing already under way finds nothing held
		}
		return
	}
	// rest is a tail of the caller's p, which must not be kept, or of
	// pending itself; append copies either way (overlap is safe).
	d.pending = append(d.pending[:0], rest...)
	d.deadline = time.Now().Add(EscTimeout)
	if !d.armed {
		d.arm(EscTimeout)
	}
}

// arm sets the timer to fire after wait.
func (d *Decoder) arm(wait time.Duration) {
	d.armed = true
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.expire)
	} else {
		d.timer.Reset(wait)
	}
}

// scan decodes buf and sends every complete event. Unless expired, it
// stops at an escape sequence that may still be incomplete and returns
// the rest of buf from there.
func (d *Decoder) scan(buf []byte, expired bool) (rest []byte) {
	for len(buf) > 0 {
		if d.pasting && buf[0] != 0x1b {
			// Inside a paste only an escape sequence can matter (the end
			// marker): the text up to the next ESC is taken as it is, not
			// a key at a time; invalid UTF-8 is dropped when it ends.
			n := bytes.IndexByte(buf, 0x1b)
			if n < 0 {
				n = len(buf)
			}
			d.collect(buf[:n])
			buf = buf[n:]
			continue
		}
		n, ev := d.dec.Decode(buf)
		if n <= 0 {
			return nil // nothing the decoder can use: drop it
		}
		short := buf[0] == 0x1b && n <= 2 // ESC or ESC+key: maybe a sequence's start
		if d.pasting {
			if _, end := ev.(uv.PasteEndEvent); !end {
				switch ev := ev.(type) {
				case uv.KeyPressEvent:
					if ev.Text != "" {
						d.collect([]byte(ev.Text))
						break
					}
					if short && !expired {
						return buf
					}
					d.collect(buf[:n])
				case uv.UnknownEvent:
					if !expired {
						return buf
					}
				}
				buf = buf[n:]
				continue
			}
		}
		switch ev := ev.(type) {
		case uv.UnknownEvent:
			if !expired {
				return buf
			}
			d.send(ev)
		case uv.PasteStartEvent:
			d.pasting, d.paste = true, d.paste[:0]
			d.send(ev)
		case uv.PasteEndEvent:
			d.pasting = false
			d.send(uv.PasteEvent{Content: validUTF8(d.paste)})
			d.send(ev)
			if cap(d.paste) > 4<<10 {
				d.paste = nil
			}
		case nil:
		default: // cancelled OSC or DCS strings arrive as an unexported type a model ignores
			if short && !expired {
				return buf
			}
			if multi, ok := ev.(uv.MultiEvent); ok {
				for _, e := range multi {
					d.send(e)
				}
			} else {
				d.send(ev)
			}
		}
		buf = buf[n:]
	}
	return nil
}

// collect adds b to the paste, up to MaxPaste bytes.
func (d *Decoder) collect(b []byte) {
	if room := MaxPaste - len(d.paste); room > 0 {
		d.paste = append(d.paste, b[:min(len(b), room)]...)
	}
}

// validUTF8 returns b as a string without its invalid bytes, as Bubble
// Tea's reader does.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]rune, 0, len(b))
	for len(b) > 0 {
		r, w := utf8.DecodeRune(b)
		if r != utf8.RuneError {
			out = append(out, r)
		}
		b = b[w:]
	}
	return string(out)
}
