package chat_test

import (
	"errors"
	"strings"
	"testing"

	"chatserver/chat"
)

func TestCheckName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     error
	}{
		{"ascii", "alice", nil},
		{"one letter", "a", nil},
		{"punctuation allowed", "a.b-c_d", nil},
		{"digits", "r2d2", nil},
		{"twenty", strings.Repeat("a", 20), nil},
		{"twenty-one", strings.Repeat("a", 21), chat.ErrNameTooLong},
		{"too long wins over bad characters", strings.Repeat("!", 21), chat.ErrNameTooLong},
		{"twenty multibyte", strings.Repeat("é", 20), nil},
		{"twenty-one multibyte", strings.Repeat("é", 21), chat.ErrNameTooLong},
		{"accented", "Ünïcödé", nil},
		{"CJK", "日本", nil},
		{"combining mark", "e\u0301", chat.ErrNameInvalid}, // not in normal form: é
		{"composed", "é", nil},
		{"arabic-indic digit with arabic", "مستخدم٣", nil},
		{"arabic-indic digit with latin", "user٣", nil}, // digits go with any script
		{"cyrillic a in latin", "аlice", chat.ErrNameInvalid},
		{"cyrillic dze in system", "ѕystem", chat.ErrNameInvalid},
		{"cyrillic o in helperbot", "helperbоt", chat.ErrNameInvalid},
		{"cyrillic o in bob", "bоb", chat.ErrNameInvalid},
		{"all cyrillic", "мир", nil},
		{"greek and cyrillic", "αмир", chat.ErrNameInvalid},
		{"japanese", "カタカナひらがな漢字", nil},
		{"korean with han", "한국어漢字", nil},
		{"chinese with bopomofo", "漢ㄅ", nil},
		{"latin with han", "abc日本", nil},
		{"han with latin", "漢字abc", nil},
		{"latin with katakana", "カタカナabc", nil},
		{"latin with hangul", "한국어abc", nil},
		{"cyrillic with han", "мир漢字", chat.ErrNameInvalid},
		{"bopomofo with hiragana", "ㄅひ", chat.ErrNameInvalid},
		{"hangul with katakana", "한カ", chat.ErrNameInvalid},
		{"full-width not normal", "ａｌｉｃｅ", chat.ErrNameInvalid},
		{"ignorable not normal", "alice\u034F", chat.ErrNameInvalid},
		{"hangul filler", "\u3164", chat.ErrNameInvalid},
		{"empty", "", chat.ErrNameInvalid},
		{"space", "al ice", chat.ErrNameInvalid},
		{"bang", "al!ce", chat.ErrNameInvalid},
		{"slash", "a/b", chat.ErrNameInvalid},
		{"roman numeral is not a decimal digit", "Ⅻ", chat.ErrNameInvalid},
		{"superscript digit", "x²", chat.ErrNameInvalid},
		{"ZWJ", "a\u200Db", chat.ErrNameInvalid},
		{"replacement character", "a\uFFFDb", chat.ErrNameInvalid},
		{"emoji", "cool😀", chat.ErrNameInvalid},
		{"apostrophe", "o'neil", chat.ErrNameInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := chat.CheckName(tc.in); !errors.Is(got, tc.want) {
				t.Errorf("CheckName(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidRoomName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"chat", true},
		{"Lobby-2.0_x", true},
		{"Café", true},
		{strings.Repeat("r", 32), true},
		{strings.Repeat("r", 33), false},
		{strings.Repeat("ö", 32), true},
		{"", false},
		{"Two Words", false},
		{"a/b", false},
		{"#general", false},
		{"room\u200D", false},
		{"сhat", false}, // Cyrillic с
		{"ｃｈａｔ", false},
		{"чат", true},
	}
	for _, tc := range tests {
		if got := chat.ValidRoomName(tc.in); got != tc.want {
			t.Errorf("ValidRoomName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"alice", "ALICE", "Alice", "aLiCe"},
		{"kelvin", "\u212Aelvin"}, // KELVIN SIGN folds with k
		{"s", "S", "\u017F"},      // LATIN SMALL LETTER LONG S
		{"ß", "\u1E9E"},           // capital sharp s
		{"Σίσυφος", "ΣΊΣΥΦΟΣ", "σίσυφος"},
		{"мир", "МИР", "Мир"},
		{"Straße", "STRAßE"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if a, b := chat.Fold(group[0]), chat.Fold(s); a != b {
				t.Errorf("Fold(%q) = %q, Fold(%q) = %q, want equal", group[0], a, s, b)
			}
		}
	}
	differ := [][2]string{
		{"alice", "alicia"},
		{"straße", "strasse"}, // simple folding, not full folding
		{"a", "á"},
		{"i", "ı"}, // dotless i is its own letter
	}
	for _, p := range differ {
		if chat.Fold(p[0]) == chat.Fold(p[1]) {
			t.Errorf("Fold(%q) == Fold(%q) = %q, want different", p[0], p[1], chat.Fold(p[0]))
		}
	}
	if got := chat.Fold(chat.Fold("MiXeD")); got != chat.Fold("MiXeD") {
		t.Errorf("Fold is not idempotent: %q", got)
	}
}

func TestCutArg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, arg, rest string
	}{
		{"bob hi", "bob", "hi"},
		{"  bob   hi  there", "bob", "hi  there"},
		{"bob", "bob", ""},
		{"bob   ", "bob", ""},
		{"", "", ""},
		{"   ", "", ""},
		{"a b c", "a", "b c"},
	}
	for _, tc := range tests {
		arg, rest := chat.CutArg(tc.in)
		if arg != tc.arg || rest != tc.rest {
			t.Errorf("CutArg(%q) = %q, %q, want %q, %q", tc.in, arg, rest, tc.arg, tc.rest)
		}
	}
}

func TestRefusalText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{chat.ErrNameTooLong, "Username must be less than 20 characters."},
		{chat.ErrNameInvalid, "Usernames may only use letters, digits, '-', '_' and '.'."},
		{chat.ErrNameReserved, "That username is reserved, please try another one."},
		{chat.ErrNameTaken, "That username is already taken, please try another one."},
		{chat.ErrNameOwned, "That username belongs to another SSH key, please try another one."},
		{chat.ErrShutdown, "The server is shutting down."},
	}
	for _, tc := range tests {
		if got := chat.RefusalText(tc.err); got != tc.want {
			t.Errorf("RefusalText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
