package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
)

type idKey struct{ sender, seq int }

// screenIDs feeds frames to a w×h screen, each in the pieces cuts gives,
// and returns every id found, sorted, and how often ids were seen again.
func screenIDs(w, h int, frames [][]byte, cuts func(rest int) int) (ids []idKey, again int) {
	s := newScreen(w, h)
	seen := map[idKey]bool{}
	for _, out := range frames {
		for len(out) > 0 {
			n := max(1, min(cuts(len(out)), len(out)))
			s.Write(out[:n])
			out = out[n:]
			scan(s, seen, &ids, &again)
		}
	}
	slices.SortFunc(ids, cmpKey)
	return ids, again
}

func scan(s *screen, seen map[idKey]bool, ids *[]idKey, again *int) {
	s.scanDirty(func(row []byte) {
		findIDs(row, func(sender, seq int, nanos int64) {
			if nanos != stamp(sender, seq) {
				return // torn: the ledger finds no such stamp
			}
			k := idKey{sender, seq}
			if seen[k] {
				*again++
				return
			}
			seen[k] = true
			*ids = append(*ids, k)
		})
	})
}

func stamp(sender, seq int) int64 { return 1712345678000000000 + int64(sender)*1_000_000 + int64(seq) }

func id(sender, seq int) string { return string(appendID(nil, sender, seq, stamp(sender, seq))) }

// TestScreenHandWritten: the tricks of a diffing renderer, one by one.
func TestScreenHandWritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		out       string
		want      []idKey
		wholeOnly bool // cut, the output shows more than it does whole
		frames    []string
	}{
		{"plain lines", "<u1> " + id(1, 0) + " xx\r\n<u2> " + id(2, 0) + "\r\n", []idKey{{1, 0}, {2, 0}}, false, nil},
		{"styled", "\x1b[1;38;5;63m<u1>\x1b[0m \x1b[3mb1-0-\x1b[m" + fmt.Sprint(stamp(1, 0)), []idKey{{1, 0}}, false, nil},
		{"only the changed cell rewritten", "", []idKey{{1, 5}, {1, 7}}, false, []string{
			"\x1b[5;1H" + id(1, 5), "\x1b[5;4H6", "\x1b[5;1H" + id(1, 7)[:4] + "\x1b[5;6H" + id(1, 7)[5:]}},
		{"cursor forward over equal cells", "\x1b[2;1H" + id(1, 5) + "\x1b[3;1Hb1-6-\x1b[" + fmt.Sprint(nanoDigits) + "C" + "\x1b[3;6H" + fmt.Sprint(stamp(1, 6)), []idKey{{1, 5}, {1, 6}}, false, nil},
		{"REP for repeated digits", "b7-3-17123456780070\x1b[4b3", []idKey{{7, 3}}, false, nil},
		{"ECH and EL blank", id(1, 1) + "\x1b[1;3H\x1b[3X\x1b[2;1H" + id(1, 2) + "\x1b[3;1H" + id(1, 3) + "\x1b[3;9H\x1b[K", []idKey{{1, 2}}, true, nil},
		{"scroll region", "\x1b[1;3r\x1b[3;1H" + id(1, 1) + "\n" + id(1, 2) + "\n" + id(1, 3), []idKey{{1, 1}, {1, 2}, {1, 3}}, false, nil},
		{"insert line", "\x1b[2;1H" + id(1, 1) + "\x1b[2;1H\x1b[L" + id(1, 2), []idKey{{1, 1}, {1, 2}}, false, nil},
		{"wide characters before", "日本 " + id(4, 4) + "\x1b[1;1H🙂🙂", []idKey{{4, 4}}, false, nil},
		{"osc title and alt screen", "\x1b]0;chat " + id(9, 9) + "\x07\x1b[?1049h\x1b[?25l" + id(9, 8), []idKey{{9, 8}}, false, nil},
		{"glued to a word", "xb1-0-" + fmt.Sprint(stamp(1, 0)) + " " + id(1, 1) + "z", nil, true, nil},
		{"cut by the edge", strings.Repeat(".", 70) + id(1, 1), nil, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := [][]byte{[]byte(tc.out)}
			if tc.frames != nil {
				frames = frames[:0]
				for _, f := range tc.frames {
					frames = append(frames, []byte(f))
				}
			}
			first := 1
			if tc.wholeOnly {
				first = len(tc.out)
			}
			slices.SortFunc(tc.want, cmpKey)
			for cut := first; cut <= len(frames[0]); cut++ {
				got, _ := screenIDs(80, 10, frames, func(rest int) int {
					if rest > cut {
						return cut
					}
					return rest
				})
				if !slices.Equal(got, tc.want) {
					t.Fatalf("cut at %d: ids %v, want %v", cut, got, tc.want)
				}
			}
		})
	}
}

// TestScreenRenderer draws a three-pane chat with the renderer the UI
// uses (ultraviolet, cell diffs, REP, ECH, scroll optimisation), a message
// or a burst at a time, and checks that every id that was ever on screen
// is found in its output, however the output is cut into reads.
func TestScreenRenderer(t *testing.T) {
	t.Parallel()
	const w, h, msgRows = 120, 40, 36
	rng := rand.New(rand.NewPCG(1, 2))
	var out bytes.Buffer
	r := uv.NewTerminalRenderer(&out, []string{"TERM=xterm-256color"})
	r.SetFullscreen(true)
	r.EnterAltScreen()
	buf := uv.NewScreenBuffer(w, h)
	var log []string // message lines, oldest first
	var keys []idKey // their ids
	var frames [][]byte
	var visible []idKey
	onScreen := map[idKey]bool{}
	seq := make([]int, 5)
	for frame := range 300 {
		burst := 1
		if frame%25 == 0 {
			burst = 50 // more than fit: the first ones never show
		}
		for range burst {
			s := rng.IntN(len(seq))
			colour := 30 + rng.IntN(8)
			log = append(log, fmt.Sprintf("\x1b[%dm<u%d>\x1b[0m %s %s", colour, s, id(s, seq[s]), strings.Repeat("x", rng.IntN(20))))
			keys = append(keys, idKey{s, seq[s]})
			seq[s]++
		}
		shown := log[max(0, len(log)-msgRows):]
		var view strings.Builder
		for y := range h {
			room := "  chat"
			if y == 1 {
				room = "  lobby"
			}
			msg := ""
			if y < len(shown) {
				msg = shown[y]
			}
			fmt.Fprintf(&view, "%-12s│%s", room, msg)
			if y < h-1 {
				view.WriteString("\r\n")
			}
		}
		// Users pane and status bar over the top, as panes are drawn.
		uv.NewStyledString(view.String()).Draw(buf, uv.Rect(0, 0, w, h))
		uv.NewStyledString("│ u1\r\n│ u2 ✓").Draw(buf, uv.Rect(w-14, 0, 14, 2))
		uv.NewStyledString(fmt.Sprintf("\x1b[7m u0 │ #chat │ %d here\x1b[0m", frame)).Draw(buf, uv.Rect(0, h-1, w, 1))
		r.Render(buf.RenderBuffer)
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, slices.Clone(out.Bytes()))
		out.Reset()
		for _, k := range keys[max(0, len(keys)-msgRows):] {
			if !onScreen[k] {
				onScreen[k] = true
				visible = append(visible, k)
			}
		}
	}
	var size int
	for _, f := range frames {
		size += len(f)
	}
	t.Logf("%d frames, %d ids shown, %d bytes of output", len(frames), len(visible), size)
	for _, cuts := range []struct {
		name string
		fn   func(int) int
	}{
		{"frame by frame", func(n int) int { return n }},
		{"frames in 100-byte reads", func(int) int { return 100 }},
		{"frames in random reads", func(int) int { return 1 + rng.IntN(300) }},
		{"one byte", func(int) int { return 1 }},
	} {
		got, again := screenIDs(w, h, frames, cuts.fn)
		want := slices.Clone(visible)
		slices.SortFunc(want, cmpKey)
		if !slices.Equal(got, want) {
			t.Errorf("%s: found %d ids, want the %d shown; missing %v, extra %v", cuts.name, len(got), len(want), diffKeys(want, got), diffKeys(got, want))
		}
		if again == 0 {
			t.Errorf("%s: no id seen twice; redraws should show them again", cuts.name)
		}
	}
}

func cmpKey(a, b idKey) int {
	if a.sender != b.sender {
		return a.sender - b.sender
	}
	return a.seq - b.seq
}

// diffKeys returns the keys of a not in b (both sorted), at most ten.
func diffKeys(a, b []idKey) []idKey {
	var d []idKey
	for _, k := range a {
		if _, ok := slices.BinarySearchFunc(b, k, cmpKey); !ok && len(d) < 10 {
			d = append(d, k)
		}
	}
	return d
}

func TestStatusMark(t *testing.T) {
	t.Parallel()
	m := newStatusMark("u7", "chat")
	for _, tc := range []struct {
		row  string
		want bool
	}{
		{" u7 ? #chat ? 3 here          PgUp/PgDn scroll", true},
		{" u7 ? #chat", true},
		{" u7 ? #chat2 ? 3 here", false},
		{" u77 ? #chat ? 3 here", false},
		{" #chat ? u7 ", false},
	} {
		if got := m.in([]byte(tc.row)); got != tc.want {
			t.Errorf("statusMark(u7, chat).in(%q) = %v, want %v", tc.row, got, tc.want)
		}
	}
}
