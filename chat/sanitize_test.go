package chat_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"chatserver/chat"
)

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello there", "hello there"},
		{"trimmed", "   hi  ", "hi"},
		{"inner spaces kept", "a   b", "a   b"},
		{"empty", "", ""},
		{"tab removed then trimmed", "\t hi \t", "hi"},
		{"tab inside removed", "a\tb", "ab"},
		{"NUL", "a\x00b", "ab"},
		{"BEL and BS", "a\x07\x08b", "ab"},
		{"DEL", "a\x7fb", "ab"},
		{"CR LF inside", "a\rb\nc", "abc"},
		{"CSI colour", "\x1b[31mred\x1b[0m", "red"},
		{"CSI many params", "\x1b[1;31;40mX\x1b[m", "X"},
		{"CSI cursor and clear", "\x1b[2J\x1b[H\x1b[?25lok", "ok"},
		{"CSI unterminated", "ok\x1b[31", "ok"},
		{"OSC title with BEL", "\x1b]0;pwned\x07hi", "hi"},
		{"OSC title with ST", "\x1b]2;pwned\x1b\\hi", "hi"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07x", "x"},
		{"OSC unterminated", "x\x1b]0;title", "x"},
		{"DCS", "\x1bPq#0;2;0;0;0#0~~@@\x1b\\x", "x"},
		{"SOS PM APC", "\x1bXa\x1b\\\x1b^b\x1b\\\x1b_c\x1b\\x", "x"},
		{"RIS", "a\x1bcb", "ab"},
		{"charset designation", "\x1b(Bok", "ok"},
		{"save cursor", "\x1b7ok\x1b8", "ok"},
		{"lone ESC at end", "x\x1b", "x"},
		{"ESC before non-ASCII", "\x1bé", "é"},
		{"8-bit CSI", "\u009b31mred", "red"},
		{"8-bit OSC with 8-bit ST", "\u009d0;title\u009cx", "x"},
		{"8-bit DCS with BEL", "\u0090junk\x07x", "x"},
		{"NEL and other C1", "a\u0085b\u0080c\u0099d", "abcd"},
		{"invalid UTF-8", "caf\xe9", "caf\uFFFD"},
		{"lone 0xff bytes", "\xff\xfe", "\uFFFD\uFFFD"},
		{"truncated rune", "ab\xe2\x82", "ab\uFFFD\uFFFD"},
		{"RLO", "evil\u202Etxt.exe", "eviltxt.exe"},
		{"bidi isolates", "\u2066x\u2069\u2067y\u2068", "xy"},
		{"LRM RLM", "\u200Ea\u200F", "a"},
		{"zero-width space", "a\u200Bb", "ab"},
		{"zero-width non-joiner", "a\u200Cb", "ab"},
		{"word joiner", "a\u2060b", "ab"},
		{"BOM", "\uFEFFhi", "hi"},
		{"soft hyphen", "soft\u00ADhyphen", "softhyphen"},
		{"tag characters", "flag\U000E0067\U000E0062", "flag"},
		{"arabic letter mark", "a\u061Cb", "ab"},
		{"ZWJ kept", "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧"},
		{"only invisible", "  \u200B \u202E ", ""},
		{"NBSP trimmed at ends", "\u00A0x\u00A0", "x"},
		{"letters of any script", "Ünïcödé 日本語 Ελληνικά", "Ünïcödé 日本語 Ελληνικά"},
		{"combining mark kept", "e\u0301", "e\u0301"},
		{"emoji kept", "🙂 ok", "🙂 ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := chat.Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// checkSanitized fails unless s is what Sanitize may return: valid UTF-8, no
// C0, DEL, C1 or format character but ZWJ, no leading or trailing space.
func checkSanitized(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", in, s)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r != 0x200d && unicode.Is(unicode.Cf, r)) {
			t.Fatalf("Sanitize(%q) = %q: contains %U", in, s, r)
		}
	}
	if strings.TrimSpace(s) != s {
		t.Fatalf("Sanitize(%q) = %q: not trimmed", in, s)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"hello", "  hi  ", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07x", "\x1bPq\x1b\\x",
		"\u009b31m", "\u009d0;t\u009cx", "caf\xe9", "\xff\xff", "evil\u202Etxt",
		"a\u200Bb", "👨\u200D👩", "\x1b\u200B[31m", "\u00A0\u200Bx", "\x1b[\xe2\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := chat.Sanitize(in)
		checkSanitized(t, in, out)
		if again := chat.Sanitize(out); again != out {
			t.Fatalf("Sanitize not idempotent: Sanitize(%q) = %q, Sanitize of that = %q", in, out, again)
		}
		if len(out) > 3*len(in) {
			t.Fatalf("Sanitize(%q) grew to %d bytes", in, len(out))
		}
	})
}

func BenchmarkSanitize(b *testing.B) {
	inputs := []struct{ name, in string }{
		{"ascii", strings.Repeat("the quick brown fox jumps over the lazy dog ", 10)},
		{"unicode", strings.Repeat("Grüße aus Köln, 日本語のテキスト 🙂 ", 10)},
		{"hostile", strings.Repeat("\x1b[31mred\x1b]0;t\x07\u202E\u200B\xff\u009b1m", 20)},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				chat.Sanitize(in.in)
			}
		})
	}
}
