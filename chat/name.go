package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
// letters, marks, digits, '-', '_' or '.'. s must already be sanitised.
func ValidRoomName(s string) bool { return validName(s, MaxRoomLen) }

// CheckName returns nil if s is a well-formed user name, or ErrNameTooLong or
// ErrNameInvalid, in the order PROTOCOL.md checks them. s must already be
// sanitised. Reserved and taken names are the Hub's business.
func CheckName(s string) error {
	if utf8.RuneCountInString(s) > MaxNameLen {
		return ErrNameTooLong
	}
	if !validName(s, MaxNameLen) {
		return ErrNameInvalid
	}
	return nil
}

// Fold returns the key under which names and rooms are compared: each rune
// mapped to the smallest rune of its Unicode simple case folding orbit, so
// that "MIKE", "mike" and "Mike" share one key.
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
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, foldRune(r))
	}
	return string(out)
}

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
