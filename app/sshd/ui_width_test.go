package sshd_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"chatserver/app/apptest"
)

// borders returns the columns of the pane separators in a row of the
// screen, counting cells as method does.
func borders(row string, method ansi.Method) []int {
	var at []int
	for i := strings.Index(row, "│"); i >= 0; {
		at = append(at, method.StringWidth(row[:i]))
		j := strings.Index(row[i+len("│"):], "│")
		if j < 0 {
			break
		}
		i += len("│") + j
	}
	return at
}

// TestUIEmojiKeepBorders: messages with emoji that terminals measure
// differently (skin tones, ZWJ sequences, VS16, flags) next to CJK and
// combining marks, wrapped at every place near the pane's edge, leave the
// pane borders in their columns, whether the terminal counts cells by
// grapheme cluster (as x/vt, iTerm2, Windows Terminal) or by code point
// (as xterm, VTE and, for skin tones and VS16, tmux 3.3a): no row holds
// text whose width differs between the two.
func TestUIEmojiKeepBorders(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	alice, mike := aliceAndMike(t, cfg)
	texts := []string{"👍🏽", "👨‍👩‍👧", "🏳️‍🌈", "❤️", "🇫🇷", "日本語", "e\u0301x̧̌", "🧑🏽‍💻"}
	for k, s := range texts {
		// At 80x24 a message line is 46 cells after the time, 39 after
		// "alice: ": the text lands on either side of the edge.
		for _, n := range []int{35, 36, 37, 38} {
			alice.Send(fmt.Sprintf("%s%s end%d", strings.Repeat("x", n), s, k))
		}
		mike.WaitFor(fmt.Sprintf("the messages with %q", s), func(text string) bool { return strings.Count(text, fmt.Sprintf(" end%d", k)) == 4 })
		rows := mike.Lines()
		want := borders(rows[0], ansi.GraphemeWidth)
		if len(want) != 2 {
			t.Fatalf("row 0 has borders at %v, want two:\n%s", want, mike.Text())
		}
		for i, row := range rows[:len(rows)-2] {
			g, wc := borders(row, ansi.GraphemeWidth), borders(row, ansi.WcWidth)
			if fmt.Sprint(g) != fmt.Sprint(want) || fmt.Sprint(wc) != fmt.Sprint(want) {
				t.Errorf("%q: row %d has its borders at %v by clusters and %v by code points, want %v: %q", s, i, g, wc, want, row)
			}
		}
	}
}
