package chat_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"chatserver/chat"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"ascii", "alice", "alice"},
		{"full-width", "ａｌｉｃｅ", "alice"},
		{"combining grapheme joiner", "alice\u034F", "alice"},
		{"decomposed", "jose\u0301", "josé"},
		{"hangul filler", "\u3164", ""},
		{"hangul fillers", "\u115F\u1160x\uFFA0", "x"},
		{"variation selector", "a\uFE0Fb", "ab"},
		{"tag characters", "a\U000E0041b", "ab"},
		{"zero width joiner", "a\u200Db", "ab"},
		{"ignorable between base and mark", "e\u034F\u0301", "é"},
		{"ligature", "ﬁle", "file"},
		{"roman numeral", "Ⅻ", "XII"},
	}
	for _, tc := range tests {
		if got := chat.Normalize(tc.in); got != tc.want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestDefaultIgnorable checks the generated table against the definition
// of Default_Ignorable_Code_Point in DerivedCoreProperties.txt, computed
// from Go's own tables of the same Unicode version: every code point.
func TestDefaultIgnorable(t *testing.T) {
	t.Parallel()
	if unicode.Version != "15.0.0" {
		t.Skipf("unicode.Version %s: the table is of 15.0.0; run go generate ./chat", unicode.Version)
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := (unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Variation_Selector, r)) &&
			!unicode.Is(unicode.White_Space, r) && !(0xFFF9 <= r && r <= 0xFFFB) &&
			!(0x13430 <= r && r <= 0x13440) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
		if got := chat.IsIgnorable(r); got != want {
			t.Errorf("isIgnorable(%U) = %v, want %v", r, got, want)
		}
	}
}

func TestLookAlike(t *testing.T) {
	t.Parallel()
	alike := [][2]string{
		{"alice", "аlice"}, // Cyrillic а
		{"alice", "aIice"}, // capital I
		{"Alice", "AIice"},
		{"system", "ѕystem"},
		{"system", "SYSTEM"},
		{"helperbot", "helperbоt"},
		{"bob", "bоb"},
		{"bob", "b0b"},
		{"bob", "BOB"},
		{"chat", "сhat"},
		{"paypal", "ρ⍺у𝓅𝒂ן"},
		{"alice", "ａｌｉｃｅ"},
		{"mike", "MlKE"},   // small L: MIKE
		{"alice", "аӏісе"}, // all Cyrillic, ӏ palochka
		{"mike", "ᴍike"},   // small capital M
		{"alice", "ᴀʟɪᴄᴇ"}, // small capitals
		{"paypal", "paypa1"},
		{"bob", "B0B"},
		{"tom", "ΤΟΜ"},       // all Greek capitals
		{"system", "ѕуѕтем"}, // all Cyrillic: ЅУЅТЕМ
		{"mike", "rnike"},
		// Names are shown in the case typed: "mlke" may be shown as
		// "MlKE", which looks like MIKE, and alice as "alIce".
		{"mike", "MLKE"},
		{"alice", "ALLCE"},
	}
	for _, p := range alike {
		if !chat.LooksAlike(p[0], p[1]) {
			t.Errorf("LooksAlike(%q, %q) = false, want true", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"alice", "alicia"},
		{"bob", "rob"},
		{"мир", "мар"},
		{"josé", "jose"},
		{"mike", "nike"},
		{"bob", "bab"},
	}
	for _, p := range differ {
		if chat.LooksAlike(p[0], p[1]) {
			t.Errorf("LooksAlike(%q, %q) = true, want false", p[0], p[1])
		}
	}
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{
		"alice", "аlice", "ａｌｉｃｅ", "alice\u034F", "jose\u0301", "\u3164", "ѕystem", "helperbоt", "bоb",
		"µ", "Σίσυφος", "カタカナひらがな漢字", "한국어漢字", "ﷺ", "e\u034F\u0301", "ǅ", "ᾼ", "ͅ",
		"аӏісе", "ᴍike", "ѕуѕтем", "ΤΟΜ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n := chat.Normalize(in)
		if again := chat.Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: Normalize(%q) = %q, Normalize of that = %q", in, n, again)
		}
		if k := chat.Fold(in); chat.Fold(k) != k {
			t.Fatalf("Fold not idempotent: Fold(%q) = %q, Fold of that = %q", in, k, chat.Fold(k))
		}
		if chat.Fold(n) != chat.Fold(in) {
			t.Fatalf("Fold(%q) = %q but Fold(Normalize) = %q", in, chat.Fold(in), chat.Fold(n))
		}
		err := chat.CheckName(in)
		if err == nil && n != in {
			t.Fatalf("CheckName(%q) passed, but it normalises to %q", in, n)
		}
		if err != nil && !errors.Is(err, chat.ErrNameInvalid) && !errors.Is(err, chat.ErrNameTooLong) {
			t.Fatalf("CheckName(%q) = %v", in, err)
		}
		if chat.ValidRoomName(in) && n != in {
			t.Fatalf("ValidRoomName(%q) passed, but it normalises to %q", in, n)
		}
		if chat.Fold(in) != "" && !chat.LooksAlike(in, n) {
			t.Fatalf("%q does not look like %q, its normal form", in, n)
		}
	})
}

// BenchmarkNameCheck is what a login costs in name checks before the hub's
// maps: normalise, check, fold, skeletons.
func BenchmarkNameCheck(b *testing.B) {
	for _, in := range []struct{ name, in string }{
		{"ascii", "alice_1984"},
		{"latin", "José-Müller"},
		{"cyrillic", "Владимир"},
		{"japanese", "カタカナひらがな漢字"},
		{"mixed", "аlice"},
		{"long", strings.Repeat("ｘ", 500)},
	} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chat.CheckNameForLogin(in.in)
			}
		})
	}
}
