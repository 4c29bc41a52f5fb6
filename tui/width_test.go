package tui

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// TestShown: what the messages pane draws of a text, and its width, which
// must be the same by grapheme clusters (this UI, Windows Terminal, iTerm2)
// and by code points (xterm, VTE) and what tmux 3.3a drew: the tmux column
// was measured (cursor_x after printing the text at 120x40; the original
// texts gave 👍🏽 4, 👨‍👩‍👧 2, 🏳️‍🌈 1, ❤️ 1, 🧑🏽‍💻 4, where clusters give 2).
func TestShown(t *testing.T) {
	cases := []struct {
		name, in, want string
		tmux           int
	}{
		{"ascii", "hello", "hello", 5},
		{"skin tone", "👍🏽", "👍", 2},
		{"skin tone then text", "👍🏽x", "👍x", 3},
		{"tone alone", "🏽", "🏽", 2},
		{"tone after a letter", "a🏽", "a", 1},
		{"zwj family", "👨‍👩‍👧", "👨👩👧", 6},
		{"rainbow flag", "🏳️‍🌈", "🏳🌈", 3},
		{"pirate flag", "🏴‍☠️", "🏴☠", 3},
		{"tone and zwj", "🧑🏽‍💻", "🧑💻", 4},
		{"heart vs16", "❤️", "❤", 1},
		{"victory vs16", "✌️", "✌", 1},
		{"keycap", "1️⃣", "1⃣", 1},
		{"flag", "🇫🇷", "🇫🇷", 2},
		{"flag and a half", "🇫🇷🇩", "🇫🇷D", 3},
		{"lone indicator", "🇫", "F", 1},
		{"cjk", "日本語", "日本語", 6},
		{"combining", "e\u0301x̧̌", "e\u0301x̧̌", 2},
		{"precomposed hangul", "한", "한", 2},
		{"in a sentence", "nice 👍🏽 see 🇫🇷 and ❤️!", "nice 👍 see 🇫🇷 and ❤!", 21},
		{"lines", "🏽 first\n🏽 second a🏽", "🏽 first\n🏽 second a", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := shown(tc.in)
			if got != tc.want {
				t.Fatalf("shown(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if g, wc := ansi.StringWidth(l), ansi.StringWidthWc(l); g != wc {
					t.Errorf("%q is %d cells as clusters, %d by code points", l, g, wc)
				}
			}
			if w := ansi.StringWidth(got); tc.tmux > 0 && w != tc.tmux {
				t.Errorf("%q is %d cells, tmux 3.3a drew it in %d", got, w, tc.tmux)
			}
		})
	}
	plain := "nothing to change here, ünïcödé 日本"
	if allocs := testing.AllocsPerRun(100, func() { shown(plain) }); allocs != 0 {
		t.Errorf("shown of text with nothing to change allocates %.0f times", allocs)
	}
}

// FuzzShown: what shown returns has none of the code points it removes
// (a tone only at the start of a line), is valid UTF-8 when the text was,
// and is its own shown form.
func FuzzShown(f *testing.F) {
	for _, s := range []string{"👍🏽", "👨‍👩‍👧", "🏳️‍🌈", "❤️", "🇫🇷🇩", "🏽\n🏽a🏽", "1️⃣", "e\u0301", "日本語", "plain", "\xff🇫"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := shown(s)
		if again := shown(got); again != got {
			t.Fatalf("shown(%q) = %q, and shown of that %q", s, got, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("shown(%q) = %q, not valid UTF-8", s, got)
		}
		for i, l := range strings.Split(got, "\n") {
			for j, r := range l {
				if r == zwj || r == vs15 || r == vs16 || (j > 0 && r >= toneFirst && r <= toneLast) {
					t.Fatalf("shown(%q) = %q keeps %U in line %d", s, got, r, i)
				}
			}
		}
	})
}

// TestInputRowFitsCountedByCodePoint: a line of skin-toned emoji in the
// input fits the screen also in a terminal that counts code points (tmux
// 3.3a: 👍🏽 is 4 cells), where a wider bottom row would scroll the whole
// screen up.
func TestInputRowFitsCountedByCodePoint(t *testing.T) {
	h, _ := newHub(t)
	for _, w := range []int{40, 80, 120} {
		u := newUI(t, h, "alice"+strconv.Itoa(w), w, 24)
		u.typ("hello" + strings.Repeat("👍🏽", 60))
		row := u.m.input.View()[0].s
		if got := ansi.StringWidthWc(row); got > w-1 {
			t.Errorf("at %d columns the input row is %d cells counted by code point, want at most %d", w, got, w-1)
		}
		if !strings.Contains(row, "👍🏽") {
			t.Errorf("at %d columns the input row lost the emoji: %q", w, row)
		}
	}
}
