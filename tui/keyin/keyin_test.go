package keyin

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
)

// recorder collects what a Decoder sends.
type recorder struct {
	mu  sync.Mutex
	evs []string
	n   int
}

func (r *recorder) send(m tea.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, fmt.Sprintf("%T%+v", m, m))
	r.n++
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.evs...)
}

// decode feeds in to a Decoder in the given chunks, then closes it.
func decode(chunks ...[]byte) []string {
	var r recorder
	d := New(r.send)
	for _, c := range chunks {
		d.Write(c)
	}
	d.Close()
	return r.events()
}

// bubbleTea decodes in with Bubble Tea's own reader, as a program would.
func bubbleTea(t testing.TB, in []byte) []string {
	t.Helper()
	tr := uv.NewTerminalReader(bytes.NewReader(in), "xterm-256color")
	ch := make(chan uv.Event, 1024)
	if err := tr.StreamEvents(context.Background(), ch); err != nil {
		t.Fatalf("bubble tea reader: %v", err)
	}
	close(ch)
	var out []string
	for ev := range ch {
		out = append(out, fmt.Sprintf("%T%+v", ev, ev))
	}
	return out
}

// typed is what users type into the chat UI, one entry per keystroke or
// paste, as xterm-like terminals, tmux, PuTTY and the macOS terminal send it.
var typed = []string{
	"hello", "Hello, World!", "é", "日本語", "👍", "👩‍💻", "a\u0301",
	"\r", "\n", "\t", "\x7f", "\b", "\x01", "\x03", "\x04", "\x0e", "\x10", "\x15", "\x17", "\x00",
	"\x1b", "\x1ba", "\x1bb", "\x1b\x7f",
	"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1bOA", "\x1bOB", "\x1bOC", "\x1bOD",
	"\x1b[1;5C", "\x1b[1;5D", "\x1b[1;2A", "\x1b[1;3B",
	"\x1b[H", "\x1b[F", "\x1bOH", "\x1bOF", "\x1b[1~", "\x1b[4~", "\x1b[7~", "\x1b[8~",
	"\x1b[5~", "\x1b[6~", "\x1b[5;5~", "\x1b[3~", "\x1b[2~", "\x1b[Z",
	"\x1bOP", "\x1bOQ", "\x1b[15~", "\x1b[24~",
	"\x1b[<64;10;5M", "\x1b[<65;10;5M", "\x1b[<0;3;4M", "\x1b[<0;3;4m", "\x1b[M`!!",
	"\x1b[I", "\x1b[O",
	"\x1b[200~pasted text\x1b[201~", "\x1b[200~two\rlines\x1b[201~", "\x1b[200~tab\there é\x1b[201~",
	"hi\x1b[Athere", "abc\x1b[200~p\x1b[201~def",
}

// TestSameEventsAsBubbleTea checks that for everything a chat user types
// the Decoder produces exactly the events Bubble Tea's own reader does, so
// the UI behaves the same without its per-program key table.
func TestSameEventsAsBubbleTea(t *testing.T) {
	for _, in := range typed {
		got, want := decode([]byte(in)), bubbleTea(t, []byte(in))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestSplitReads checks that a sequence, a rune or a paste cut across
// reads, as SSH packets can cut them, decodes as if it came whole.
func TestSplitReads(t *testing.T) {
	for _, in := range typed {
		switch in {
		case "👩‍💻", "a\u0301", "\x1b[M`!!":
			// A grapheme cluster cut between its runes arrives as two
			// keys, and an X10 mouse report cut after its CSI as an
			// unknown sequence and three keys: Bubble Tea's reader does
			// the same. The UI asks for SGR mouse reports.
			continue
		}
		whole := decode([]byte(in))
		for cut := 1; cut < len(in); cut++ {
			got := decode([]byte(in[:cut]), []byte(in[cut:]))
			if strings.Join(got, "\n") != strings.Join(whole, "\n") {
				t.Errorf("%q cut at %d:\n got %q\nwant %q", in, cut, got, whole)
			}
		}
	}
}

// TestLoneEscapeTimesOut checks that Esc pressed alone reaches the model
// once the timeout tells it from the start of a sequence, without
// waiting for another key.
func TestLoneEscapeTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		d := New(r.send)
		defer d.Close()
		d.Write([]byte("\x1b"))
		synctest.Wait()
		if evs := r.events(); len(evs) != 0 {
			t.Fatalf("ESC sent before the timeout could tell it from a sequence: %q", evs)
		}
		time.Sleep(EscTimeout)
		synctest.Wait()
		if evs := r.events(); len(evs) != 1 || evs[0] != "uv.KeyPressEventesc" {
			t.Fatalf("events = %q, want one key press (esc)", evs)
		}
	})
}

// TestTimeoutFollowsInput: over a real link a rune or a sequence comes in
// pieces, milliseconds apart. Each piece pushes the ESC timeout back, as
// in Bubble Tea's reader, and a timer set for an earlier piece never cuts
// a later one short: a rune, then a paste's end marker, each cut in
// pieces 15 ms apart and starting 30 ms after an earlier cut rune, decode
// whole.
func TestTimeoutFollowsInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		d := New(r.send)
		defer d.Close()
		feed := func(gap time.Duration, parts ...string) {
			for i, p := range parts {
				if i > 0 {
					time.Sleep(gap)
				}
				d.Write([]byte(p))
			}
		}
		feed(0, "\xc3", "\xa9") // é, cut
		time.Sleep(30 * time.Millisecond)
		feed(15*time.Millisecond, "\xe6", "\x97", "\xa5") // 日, in three pieces
		time.Sleep(200 * time.Millisecond)
		feed(0, "\x1b[200~hello\xc3", "\xa9")
		time.Sleep(30 * time.Millisecond)
		feed(15*time.Millisecond, "\x1b[20", "1", "~typed")
		time.Sleep(time.Second)
		synctest.Wait()
		got := strings.Join(r.events(), "|")
		want := "uv.KeyPressEventé|uv.KeyPressEvent日|uv.PasteStartEvent{}|uv.PasteEventhelloé|uv.PasteEndEvent{}|" +
			"uv.KeyPressEventt|uv.KeyPressEventy|uv.KeyPressEventp|uv.KeyPressEvente|uv.KeyPressEventd"
		if got != want {
			t.Fatalf("events\n got %s\nwant %s", got, want)
		}
	})
}

// TestLongPasteHeldBack: a paste holding an escape sequence early on
// makes the decoder hold what follows until MaxPending forces it out; if
// that read ends inside the paste's end marker, the marker is still
// recognised when its rest comes, and what is typed afterwards is typed.
func TestLongPasteHeldBack(t *testing.T) {
	for ys := 4490; ys <= 4505; ys++ { // the 9th 512-byte read ends before, in and after the marker
		in := "\x1b[200~" + strings.Repeat("x", 100) + "\x1ba" + strings.Repeat("y", ys) + "\x1b[201~typed"
		var chunks [][]byte
		for rest := in; len(rest) > 0; {
			n := min(512, len(rest))
			chunks = append(chunks, []byte(rest[:n]))
			rest = rest[n:]
		}
		got := strings.Join(decode(chunks...), "|")
		if !strings.Contains(got, "uv.PasteEndEvent{}|uv.KeyPressEventt|uv.KeyPressEventy|uv.KeyPressEventp|uv.KeyPressEvente|uv.KeyPressEventd") {
			t.Errorf("%d y: the paste did not end before the typing: …%s", ys, got[max(0, len(got)-120):])
		}
	}
}

// TestC1InPaste: inside a paste only ESC starts a sequence; an 8-bit CSI
// neither ends the paste nor hides text, and is dropped as invalid UTF-8.
func TestC1InPaste(t *testing.T) {
	for in, want := range map[string]string{
		"\x1b[200~a\x9b201~b\x1b[201~": "uv.PasteStartEvent{}|uv.PasteEventa201~b|uv.PasteEndEvent{}",
		"\x1b[200~\x9b31mred\x1b[201~": "uv.PasteStartEvent{}|uv.PasteEvent31mred|uv.PasteEndEvent{}",
	} {
		if got := strings.Join(decode([]byte(in)), "|"); got != want {
			t.Errorf("%q:\n got %s\nwant %s", in, got, want)
		}
	}
}

// TestHostileInputIsBounded checks that a client cannot make the decoder
// hold more than its limits: an escape sequence that never ends and a
// paste that never ends.
func TestHostileInputIsBounded(t *testing.T) {
	var r recorder
	d := New(r.send)
	defer d.Close()
	d.Write([]byte("\x1b[200~"))
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for range 64 { // 2 MiB of paste
		d.Write(chunk)
	}
	d.Write([]byte("\x1b[201~"))
	evs := r.events()
	if len(evs) != 3 || !strings.HasPrefix(evs[1], "uv.PasteEvent") || len(evs[1]) > MaxPaste+100 {
		t.Fatalf("got %d events, the second %d bytes; want start, one paste of at most %d bytes, end", len(evs), len(evs[1]), MaxPaste)
	}

	d.Write([]byte("\x1b["))
	for range 64 {
		d.Write(bytes.Repeat([]byte("1;"), 16<<10)) // a CSI with endless parameters
		if len(d.pending) > MaxPending+32<<10 {
			t.Fatalf("holding %d undecoded bytes, limit %d", len(d.pending), MaxPending)
		}
	}
	d.Write([]byte("ok"))
	d.Close()
	if evs := r.events(); !strings.HasSuffix(evs[len(evs)-1], "KeyPressEventk") {
		t.Fatalf("typing after a hostile sequence was lost: last events %q", evs[len(evs)-3:])
	}
}

// FuzzDecoder checks that no input, whole or cut in two, panics the
// decoder or makes it hold more than its limits.
func FuzzDecoder(f *testing.F) {
	for _, in := range typed {
		f.Add([]byte(in), uint(len(in)/2))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint) {
		c := int(cut % uint(len(in)+1))
		var r recorder
		d := New(r.send)
		for _, part := range [][]byte{in[:c], in[c:]} {
			d.Write(part)
			if len(d.pending) > max(MaxPending, len(in)) || len(d.paste) > MaxPaste {
				t.Fatalf("holding %d undecoded bytes and %d of paste", len(d.pending), len(d.paste))
			}
		}
		d.Close()
		if len(in) > 0 && r.n == 0 && !bytes.Contains(in, []byte("\x1b[200~")) {
			// every byte is a key, part of one, or of a sequence; only an
			// unfinished paste may yield nothing
			if !bytes.ContainsAny(in, "\x1b\x90\x9b\x9d\x9e\x9f\x98") {
				t.Fatalf("%q produced no event", in)
			}
		}
	})
}

// BenchmarkDecoder: a keystroke, and a 4 KiB paste in one read.
func BenchmarkDecoder(b *testing.B) {
	d := New(func(tea.Msg) {})
	b.Run("key", func(b *testing.B) {
		key := []byte("a")
		b.ReportAllocs()
		for range b.N {
			d.Write(key)
		}
	})
	b.Run("paste4k", func(b *testing.B) {
		paste := []byte("\x1b[200~" + strings.Repeat("hello, world ", 4096/13) + "\x1b[201~")
		b.SetBytes(int64(len(paste)))
		b.ReportAllocs()
		for range b.N {
			d.Write(paste)
		}
	})
}
