package lineproto_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"chatserver/app/lineproto"
)

// tooLong stands for a too-long report in the lines a test expects.
const tooLong = "<too long>"

// readAll reads r to its end and returns every line, a too-long report as
// tooLong.
func readAll(t testing.TB, r io.Reader, telnet bool) []string {
	t.Helper()
	lr := lineproto.NewReader(r, telnet)
	var out []string
	for {
		line, long, err := lr.ReadLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("ReadLine: %v", err)
			}
			return out
		}
		if len(line) > lineproto.MaxLine {
			t.Fatalf("ReadLine returned %d bytes, over MaxLine", len(line))
		}
		switch {
		case long && line != nil:
			t.Fatalf("ReadLine returned a line and tooLong")
		case long:
			out = append(out, tooLong)
		default:
			out = append(out, string(line))
		}
	}
}

// chunkReader returns its data in reads of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := c.sizes[c.i%len(c.sizes)]
	c.i++
	n = max(1, min(n, len(p), len(c.data)))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestReaderLineEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"CRLF", "a\r\nb\r\n", []string{"a", "b"}},
		{"LF", "a\nb\n", []string{"a", "b"}},
		{"bare CR", "a\rb\r", []string{"a", "b"}},
		{"CR NUL", "a\r\x00b\r\x00", []string{"a", "b"}},
		{"all mixed", "a\r\nb\nc\rd\r\x00e\r\n", []string{"a", "b", "c", "d", "e"}},
		{"empty lines", "\r\n\n\r\r\x00", []string{"", "", "", ""}},
		{"LF CR is two ends", "a\n\rb\r", []string{"a", "", "b"}},
		{"CR CR LF", "a\r\r\n", []string{"a", ""}},
		{"NUL inside a line is data", "a\x00b\n", []string{"a\x00b"}},
		{"unterminated last line", "a\nlast", []string{"a", "last"}},
		{"spaces kept", "  x  \n", []string{"  x  "}},
		{"nothing", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, telnet := range []bool{false, true} {
				if got := readAll(t, strings.NewReader(tc.in), telnet); !slices.Equal(got, tc.want) {
					t.Errorf("telnet %v: lines of %q = %q, want %q", telnet, tc.in, got, tc.want)
				}
				if got := readAll(t, iotest.OneByteReader(strings.NewReader(tc.in)), telnet); !slices.Equal(got, tc.want) {
					t.Errorf("telnet %v, one byte a read: lines of %q = %q, want %q", telnet, tc.in, got, tc.want)
				}
			}
		})
	}
}

// Whatever the read boundaries, the same bytes give the same lines: a
// split between '\r' and '\n' is still one line end, a split inside an IAC
// sequence still removes it.
func TestReaderSplitReads(t *testing.T) {
	t.Parallel()
	in := "hello world\r\nsecond\r\x00al\xff\xfb\x01ice\r\n\xff\xfa\x18\x00xterm\xff\xf0x\xff\xffy\n" + strings.Repeat("z", 3000) + "\r\n"
	want := readAll(t, strings.NewReader(in), true)
	if len(want) != 5 {
		t.Fatalf("whole read gave %q", want)
	}
	for k := 0; k <= len(in); k++ {
		r := io.MultiReader(strings.NewReader(in[:k]), strings.NewReader(in[k:]))
		if got := readAll(t, r, true); !slices.Equal(got, want) {
			t.Fatalf("split at %d: %q, want %q", k, got, want)
		}
	}
	for _, sizes := range [][]int{{1}, {2}, {3}, {1, 7, 2}, {511}, {512}, {513}, {4096}} {
		if got := readAll(t, &chunkReader{data: []byte(in), sizes: sizes}, true); !slices.Equal(got, want) {
			t.Errorf("reads of %v bytes: %q, want %q", sizes, got, want)
		}
	}
}

func TestReaderTelnet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"WILL in a name", "al\xff\xfb\x01ice\r\n", []string{"alice"}},
		{"DO DONT WONT", "\xff\xfd\x03a\xff\xfe\x01b\xff\xfc\x22c\n", []string{"abc"}},
		{"NOP and IP", "a\xff\xf1b\xff\xf4c\n", []string{"abc"}},
		{"sub-negotiation", "\xff\xfa\x18\x00xterm-256color\xff\xf0hi\r\n", []string{"hi"}},
		{"line ends inside a sub-negotiation", "\xff\xfa\x18\r\n\x00\xff\xf0hi\n", []string{"hi"}},
		{"IAC IAC inside a sub-negotiation", "\xff\xfa\x18\xff\xff\xf0\xff\xf0x\n", []string{"x"}},
		{"IAC IAC is a literal 0xff", "a\xff\xffb\n", []string{"a\xffb"}},
		{"IAC sequence between CR and LF", "a\r\xff\xf1\nb\n", []string{"a", "b"}},
		{"literal 0xff after a bare CR", "a\r\xff\xff\nb\n", []string{"a", "\xff", "b"}},
		{"option byte that looks like a line end", "a\xff\xfb\nb\n", []string{"ab"}},
		{"only negotiation", "\xff\xfb\x01\xff\xfb\x03\r\n", []string{""}},
		{"truncated at the end", "x\ny\xff\xfa\x18abc", []string{"x", "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readAll(t, strings.NewReader(tc.in), true); !slices.Equal(got, tc.want) {
				t.Errorf("lines of %q = %q, want %q", tc.in, got, tc.want)
			}
			if got := readAll(t, iotest.OneByteReader(strings.NewReader(tc.in)), true); !slices.Equal(got, tc.want) {
				t.Errorf("one byte a read: lines of %q = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	// Without telnet (SSH) the bytes are data.
	if got := readAll(t, strings.NewReader("a\xff\xfbb\n"), false); !slices.Equal(got, []string{"a\xff\xfbb"}) {
		t.Errorf("telnet off: %q", got)
	}
}

func TestReaderMaxLine(t *testing.T) {
	t.Parallel()
	max := lineproto.MaxLine
	if max != 8192 {
		t.Fatalf("MaxLine = %d, PROTOCOL.md says 8 KiB", max)
	}
	a := func(n int) string { return strings.Repeat("a", n) }
	iacs := func(n int) string { return strings.Repeat("\xff\xf1", n) } // IAC NOP
	tests := []struct {
		name, in string
		want     []string
	}{
		{"8192 is fine", a(max) + "\r\nok\r\n", []string{a(max), "ok"}},
		{"8193 is refused once", a(max+1) + "\r\nok\r\n", []string{tooLong, "ok"}},
		{"far over is refused once", a(5*max) + "\nok\n", []string{tooLong, "ok"}},
		{"line end not counted", a(max) + "\r\x00" + a(max) + "\r\n", []string{a(max), a(max)}},
		{"IAC bytes count", iacs(max/2) + "\r\n", []string{""}},
		{"IAC bytes count, one over", iacs(max/2) + "x\r\n", []string{tooLong}},
		{"IAC IAC counts two", strings.Repeat("\xff\xff", max/2) + "\n", []string{strings.Repeat("\xff", max/2)}},
		{"IAC IAC one over", strings.Repeat("\xff\xff", max/2) + "x\n", []string{tooLong}},
		{"over with bare CR after", a(max+1) + "\r\nnext\r", []string{tooLong, "next"}},
		{"over at the end of the stream", "x\n" + a(max+1), []string{"x", tooLong}},
		{"two long lines", a(max+1) + "\n" + a(max+1) + "\n", []string{tooLong, tooLong}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readAll(t, strings.NewReader(tc.in), true); !slices.Equal(got, tc.want) {
				t.Errorf("lines = %.60q, want %.60q", got, tc.want)
			}
			if got := readAll(t, &chunkReader{data: []byte(tc.in), sizes: []int{1, 100, 3}}, true); !slices.Equal(got, tc.want) {
				t.Errorf("split reads: lines = %.60q, want %.60q", got, tc.want)
			}
		})
	}
}

// endless returns n bytes of 'x' without allocating.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

// A 2 MiB line without a newline costs the reader no more than the cap: it
// is reported as soon as it crosses MaxLine, and its rest is discarded.
// Not parallel: it counts the process's allocations.
func TestReaderHugeLineMemory(t *testing.T) {
	src := io.MultiReader(&endless{n: 2 << 20}, strings.NewReader("\r\nafter\r\n"))
	lr := lineproto.NewReader(src, true)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, long, err := lr.ReadLine()
	if err != nil || !long {
		t.Fatalf("first ReadLine = %v, %v; want a too-long report", long, err)
	}
	line, long, err := lr.ReadLine()
	runtime.ReadMemStats(&ms1)
	if err != nil || long || string(line) != "after" {
		t.Fatalf("second ReadLine = %q, %v, %v; want \"after\"", line, long, err)
	}
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 256<<10 {
		t.Errorf("reading a 2 MiB line allocated %d bytes", grew)
	}
}

// tok is one token of the input as the reference model sees it.
type tok struct {
	b    byte // a data byte
	data bool // b is data (possibly from IAC IAC)
	raw  int  // raw bytes it took
}

// reference splits data into lines as PROTOCOL.md says, in the simplest
// way: the whole input at once, telnet sequences first, then line ends.
func reference(data []byte, telnet bool) []string {
	var toks []tok
	for i := 0; i < len(data); {
		c := data[i]
		if !telnet || c != 0xff {
			toks = append(toks, tok{b: c, data: true, raw: 1})
			i++
			continue
		}
		n := 2
		if i+1 < len(data) {
			switch cmd := data[i+1]; {
			case cmd == 0xff:
				toks = append(toks, tok{b: 0xff, data: true, raw: 2})
				i += 2
				continue
			case cmd >= 0xfb && cmd <= 0xfe:
				n = 3
			case cmd == 0xfa:
				j := i + 2
				for j < len(data) {
					if data[j] == 0xff {
						if j+1 < len(data) && data[j+1] == 0xf0 {
							j += 2
							break
						}
						j += 2
						continue
					}
					j++
				}
				n = j - i
			}
		}
		n = min(n, len(data)-i)
		toks = append(toks, tok{raw: n})
		i += n
	}
	var out []string
	var line []byte
	raw, cr := 0, false
	end := func() {
		if raw > lineproto.MaxLine {
			out = append(out, tooLong)
		} else {
			out = append(out, string(line))
		}
		line, raw = line[:0], 0
	}
	for _, t := range toks {
		if !t.data {
			raw += t.raw
			continue
		}
		if cr {
			cr = false
			if t.raw == 1 && (t.b == '\n' || t.b == 0) {
				continue
			}
		}
		if t.raw == 1 && t.b == '\r' {
			cr = true
			end()
			continue
		}
		if t.raw == 1 && t.b == '\n' {
			end()
			continue
		}
		raw += t.raw
		line = append(line, t.b)
	}
	if raw > lineproto.MaxLine {
		out = append(out, tooLong)
	} else if len(line) > 0 {
		out = append(out, string(line))
	}
	return out
}

func FuzzReader(f *testing.F) {
	seeds := []string{
		"hello\r\n", "a\r\nb\nc\rd\r\x00e", "al\xff\xfb\x01ice\r\n", "\xff\xfa\x18\x00xterm\xff\xf0hi\n",
		"a\xff\xffb\n", "a\r\xff\xf1\nb\n", "a\r\xff\xff\n", "\xff\xfa\xff\xff\xf0\xff\xf0", "caf\xe9\n",
		"\x1b[31mred\x1b[0m\r\n", strings.Repeat("a", 8193) + "\r\nok\r\n", strings.Repeat("\xff\xf1", 4096) + "x\n",
		"/w bob  hi  there\r\n/leave\r\n", "\r\r\n\n\r\x00\x00",
	}
	for _, s := range seeds {
		for _, telnet := range []bool{true, false} {
			f.Add([]byte(s), uint16(0), telnet)
			// Also split in two, at every interesting place of the short seeds.
			if len(s) < 64 {
				for k := 1; k < len(s); k++ {
					f.Add([]byte(s), uint16(k), telnet)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16, telnet bool) {
		want := reference(data, telnet)
		k := int(split) % (len(data) + 1)
		two := io.MultiReader(bytes.NewReader(data[:k]), bytes.NewReader(data[k:]))
		if got := readAll(t, two, telnet); !slices.Equal(got, want) {
			t.Fatalf("split at %d: %q, want %q", k, got, want)
		}
		if got := readAll(t, &chunkReader{data: data, sizes: []int{1 + k%7, 1 + k%13, 1}}, telnet); !slices.Equal(got, want) {
			t.Fatalf("chunked reads: %q, want %q", got, want)
		}
	})
}

func BenchmarkReader(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"chat", bytes.Repeat([]byte("an ordinary chat line of some sixty characters, typed by hand\r\n"), 1000)},
		{"telnet", bytes.Repeat([]byte("\xff\xfb\x01short\xff\xff line\r\x00"), 2000)},
		{"huge", append(bytes.Repeat([]byte("x"), 1<<20), '\n')},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			r := bytes.NewReader(nil)
			for b.Loop() {
				r.Reset(in.data)
				lr := lineproto.NewReader(r, true)
				for {
					if _, _, err := lr.ReadLine(); err != nil {
						break
					}
				}
			}
		})
	}
}
