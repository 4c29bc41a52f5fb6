package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize returns s as other users may see it: invalid UTF-8 replaced by
// U+FFFD; C0 and C1 controls, DEL, escape sequences (CSI, OSC, DCS, SOS, PM,
// APC, in their 7-bit and 8-bit forms) and Unicode format characters
// (category Cf) except U+200D ZERO WIDTH JOINER removed; then leading and
// trailing white space trimmed. It is the one sanitiser of the engine: every
// name, room and text from a user passes it once, whatever the door.
func Sanitize(s string) string {
	if plainASCII(s) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b:
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // 8-bit CSI
			i += size + csiLen(s[i+size:])
			continue
		case r == 0x90 || r == 0x9d || r == 0x98 || r == 0x9e || r == 0x9f: // DCS, OSC, SOS, PM, APC
			i += size + stringLen(s[i+size:])
			continue
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// control character: dropped
		case r == 0x200d:
			b.WriteRune(r)
		case r >= 0xa0 && unicode.Is(unicode.Cf, r):
			// invisible format character: dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return strings.TrimSpace(b.String())
}

// plainASCII reports whether s is printable ASCII only, the common case that
// needs no rewriting.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// escapeLen returns the length of the escape sequence at the start of s,
// which starts with ESC. An unterminated sequence runs to the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', 'X', '^', '_':
		return 2 + stringLen(s[2:])
	}
	// nF / Fp / Fe / Fs: intermediates 0x20–0x2F, then one final byte 0x30–0x7E.
	i := 1
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// csiLen returns the length of a CSI sequence's parameters, intermediates
// and final byte at the start of s.
func csiLen(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// stringLen returns the length of a control string's body and terminator
// (BEL, ESC \ or 8-bit ST) at the start of s.
func stringLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return len(s)
}

// RuneLen returns the number of code points in s, the unit of every length
// limit of the protocol.
func RuneLen(s string) int { return utf8.RuneCountInString(s) }
