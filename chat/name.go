package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Name and room limits from PROTOCOL.md, counted in code points after sanitising.
const (
	MaxNameLen    = 20
	MaxRoomLen    = 32
	MaxMessageLen = 450
)

// nameRune reports whether r may appear in a user or room name: a letter, a
// combining mark or a decimal digit of any script, '-', '_' or '.'.
func nameRune(r rune) bool {
	switch r {
	case '-', '_', '.':
		return true
	}
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r)
}

// validName reports whether s is 1 to max name runes long.
func validName(s string, max int) bool {
	n := 0
	for _, r := range s {
		if !nameRune(r) {
			return false
		}
		n++
	}
	return n >= 1 && n <= max
}

// ValidRoomName reports whether s is a room name PROTOCOL.md allows: 1 to 32
// letters, marks, digits, '-', '_' or '.', of one script (see CheckName),
// in normal form. s must already be sanitised and normalised (Normalize):
// a room name that is not in normal form is refused.
func ValidRoomName(s string) bool {
	return validName(s, MaxRoomLen) && oneScript(s) && Normalize(s) == s
}

// CheckName returns nil if s is a well-formed user name, or ErrNameTooLong or
// ErrNameInvalid, in the order PROTOCOL.md checks them. A well-formed name
// is 1 to 20 letters, marks, digits, '-', '_' and '.', in normal form
// (Normalize(s) == s), whose letters are of one script (see oneScript) or
// of one of the mixes UTS #39 calls highly restrictive, which are how
// Japanese, Chinese and Korean users write: Latin, Han, Hiragana and
// Katakana ("漢字abc", "カタカナひらがな"); Latin, Han and Bopomofo; Latin,
// Han and Hangul. Any other mix ("аlice" with a Cyrillic а, "ѕystem"
// with a Cyrillic ѕ, Hangul with Katakana) is refused. s must already be
// sanitised and normalised: a name that is not in normal form is refused.
// Reserved, look-alike and taken names are the Hub's business; a name of
// one of the mixes is compared with the others like any name.
func CheckName(s string) error {
	if utf8.RuneCountInString(s) > MaxNameLen {
		return ErrNameTooLong
	}
	if !validName(s, MaxNameLen) || !oneScript(s) || Normalize(s) != s {
		return ErrNameInvalid
	}
	return nil
}

// loginName returns the name a user typed as Login takes it, sanitised and
// normalised, with its key (Fold) and skeletons, or why it is refused:
// ErrNameTooLong or ErrNameInvalid (see CheckName). A name far too long to
// be one is refused before it costs a normalisation.
func loginName(typed string) (name, key string, sks skeletonSet, err error) {
	name = Sanitize(typed)
	if utf8.RuneCountInString(name) > 4*MaxNameLen {
		return "", "", sks, ErrNameTooLong
	}
	name = Normalize(name)
	if err := CheckName(name); err != nil {
		return "", "", sks, err
	}
	key = Fold(name)
	return name, key, skeletons(key), nil
}

// Normalize returns s as a name or room is kept: default-ignorable code
// points (invisible: U+034F COMBINING GRAPHEME JOINER, the Hangul fillers,
// variation selectors, ZWJ…) removed, then NFKC applied, so that
// "ａｌｉｃｅ" is "alice" and "jose" + U+0301 is "josé". Normalize is
// idempotent. Callers normalise what a user typed before checking it.
func Normalize(s string) string {
	if plainASCII(s) {
		return s // ASCII has no ignorable code point and is in NFKC
	}
	// NFKC can yield an ignorable code point, and removing one can let
	// NFKC compose what it separated: repeat until nothing changes (twice
	// at most in practice).
	for range 4 {
		t := norm.NFKC.String(stripIgnorable(s))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// stripIgnorable returns s without its default-ignorable code points.
func stripIgnorable(s string) string {
	i := strings.IndexFunc(s, isIgnorable)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if !isIgnorable(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isIgnorable reports whether r has the Unicode property
// Default_Ignorable_Code_Point (ignorable_table.go).
func isIgnorable(r rune) bool { return r >= 0xAD && unicode.Is(defaultIgnorable, r) }

// Fold returns the key under which names and rooms are compared: s
// normalised (Normalize), then each rune mapped to the smallest rune of its
// Unicode simple case folding orbit, so that "MIKE", "mike", "Mike" and
// "ＭＩＫＥ" share one key. Simple folding to the smallest rune keeps the
// keys that the store wrote before normalisation for every name that was
// already in normal form (see FoldVersion).
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return foldASCII(s)
	}
	s = Normalize(s)
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, foldRune(r))
	}
	return string(out)
}

// FoldVersion names the mapping Fold implements. Stores that keep Fold's
// keys record it and re-key what they hold when it changes. Version 2
// added normalisation (Normalize) to version 1's case folding.
const FoldVersion = 2

func foldASCII(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' }) < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// foldRune maps r to the smallest rune of its simple folding orbit; for ASCII
// letters that is the upper-case letter.
func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}
