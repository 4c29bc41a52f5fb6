package bench

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	const ns = "1712345678901234567"
	for _, tc := range []struct {
		name, in    string
		sender, seq int
		nanos       int64
		ok          bool
	}{
		{"plain", "b3-17-" + ns, 3, 17, 1712345678901234567, true},
		{"padded", "b0-0-" + ns + " xxxx", 0, 0, 1712345678901234567, true},
		{"big", "b1234-987654-" + ns, 1234, 987654, 1712345678901234567, true},
		{"short stamp", "b3-17-171234567890123456", 0, 0, 0, false},
		{"long stamp", "b3-17-" + ns + "8", 0, 0, 0, false},
		{"glued", "b3-17-" + ns + "x", 0, 0, 0, false},
		{"no sender", "b-17-" + ns, 0, 0, 0, false},
		{"no seq", "b3--" + ns, 0, 0, 0, false},
		{"other prefix", "a3-17-" + ns, 0, 0, 0, false},
		{"empty", "", 0, 0, 0, false},
		{"word", "bonjour", 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, q, n, ok := parseID([]byte(tc.in))
			if ok != tc.ok || s != tc.sender || q != tc.seq || n != tc.nanos {
				t.Errorf("parseID(%q) = %d, %d, %d, %v; want %d, %d, %d, %v", tc.in, s, q, n, ok, tc.sender, tc.seq, tc.nanos, tc.ok)
			}
		})
	}
	b := appendID(nil, 12, 345, 1712345678901234567)
	if s, q, n, ok := parseID(b); !ok || s != 12 || q != 345 || n != 1712345678901234567 {
		t.Errorf("parseID(appendID(12, 345, …)) = %d, %d, %d, %v", s, q, n, ok)
	}
}

// splitReader returns its data in the pieces given by cuts.
type splitReader struct {
	data []byte
	cuts []int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.cuts) > 0 {
		n = r.cuts[0]
		r.cuts = r.cuts[1:]
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func readAllLines(t *testing.T, r io.Reader) []string {
	t.Helper()
	lr := newLineReader(r)
	var got []string
	for {
		line, err := lr.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("next: %v", err)
			}
			return got
		}
		got = append(got, string(line))
	}
}

// TestLineReaderSplits: lines come out whole however the stream is cut,
// with "\n" or "\r\n" ends, and a line longer than the buffer grows it.
func TestLineReaderSplits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("y", 3*maxLineBuf)
	lines := []string{"<system> Welcome to the chat room!", "", "<u1> b0-1-1712345678901234567 xxxx", long, "<u2> tail"}
	stream := strings.Join(lines[:3], "\r\n") + "\n" + long + "\n" + lines[4] + "\n" + "unterminated"
	check := func(name string, got []string) {
		t.Helper()
		if len(got) != len(lines) {
			t.Fatalf("%s: %d lines, want %d", name, len(got), len(lines))
		}
		for i := range lines {
			if got[i] != lines[i] {
				t.Fatalf("%s: line %d = %.40q…, want %.40q…", name, i, got[i], lines[i])
			}
		}
	}
	check("whole", readAllLines(t, strings.NewReader(stream)))
	check("one byte at a time", readAllLines(t, iotest.OneByteReader(strings.NewReader(stream))))
	check("half", readAllLines(t, iotest.HalfReader(strings.NewReader(stream))))
	for cut := 1; cut < 80; cut++ {
		check("cut", readAllLines(t, &splitReader{data: []byte(stream), cuts: []int{cut, 1, 2, 3, 4096, 7}}))
	}
}

func TestLineReaderStartsSmall(t *testing.T) {
	t.Parallel()
	lr := newLineReader(strings.NewReader("<system> hi\n"))
	if _, err := lr.next(); err != nil {
		t.Fatal(err)
	}
	if len(lr.buf) > minLineBuf {
		t.Errorf("buffer of an idle reader is %d bytes, want %d", len(lr.buf), minLineBuf)
	}
	if lr.readAt == 0 {
		t.Errorf("readAt not set")
	}
	// A busy reader grows its buffer up to maxLineBuf.
	busy := newLineReader(bytes.NewReader(bytes.Repeat([]byte("<u1> b0-1-1712345678901234567 x\n"), 10000)))
	for {
		if _, err := busy.next(); err != nil {
			break
		}
	}
	if len(busy.buf) != maxLineBuf {
		t.Errorf("buffer of a busy reader is %d bytes, want %d", len(busy.buf), maxLineBuf)
	}
}

func TestChatText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, from, text string }{
		{"<u12> b1-2-1712345678901234567 xx", "u12", "b1-2-1712345678901234567 xx"},
		{"<system> You're sending too fast, slow down.", "system", "You're sending too fast, slow down."},
		{"\tsystem:", "", ""},
	} {
		from, text, ok := chatText([]byte(tc.in))
		if string(from) != tc.from || string(text) != tc.text || ok != (tc.from != "") {
			t.Errorf("chatText(%q) = %q, %q, %v", tc.in, from, text, ok)
		}
	}
}

// TestWaitLineRefused: a login or a switch the server refuses ends the
// wait at once with errRefused, the server's line quoted, instead of
// waiting for a line that will never come (a server with its default
// --rooms-per-hour refuses the sixth room of a --rooms run).
func TestWaitLineRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line    string
		refused bool
	}{
		{"<system> You've created too many rooms lately, please use an existing one.", true},
		{"<system> There are too many rooms to create another, please use an existing one.", true},
		{"<system> Could not create the room 'r7', please try again.", true},
		{"<system> Room names may only use letters, digits, '-', '_' and '.' (at most 32).", true},
		{"<system> That username is already taken, please try another one.", true},
		{"<helperbot> u1 has joined the chat room!", false},
		{"<u1> You've created too many rooms lately, please use an existing one.", false},
	} {
		lr := newLineReader(strings.NewReader(tc.line + "\n<system> Switched to room 'r7'\n"))
		err := waitLine(lr, "<system> Switched to room 'r7'")
		if got := errors.Is(err, errRefused); got != tc.refused {
			t.Errorf("waitLine after %q = %v, want refused %v", tc.line, err, tc.refused)
		}
	}
}
