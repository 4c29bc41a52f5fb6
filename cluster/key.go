package cluster

import "strings"

// Key returns the NATS form of a folded name or room name (chat.Fold), for
// a KV key or a subject token: bytes outside [A-Za-z0-9_-] become "=XX" (two
// upper-case hex digits), so '.', a subject's token separator, is "=2E"
// and letters of any script survive. Distinct inputs give distinct keys.
func Key(folded string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(folded); i++ {
		c := folded[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// unkey undoes Key.
func unkey(k string) (string, bool) {
	var b []byte
	for i := 0; i < len(k); i++ {
		if k[i] != '=' {
			b = append(b, k[i])
			continue
		}
		if i+2 >= len(k) {
			return "", false
		}
		var v byte
		for _, c := range []byte(k[i+1 : i+3]) {
			switch {
			case '0' <= c && c <= '9':
				v = v<<4 | (c - '0')
			case 'A' <= c && c <= 'F':
				v = v<<4 | (c - 'A' + 10)
			default:
				return "", false
			}
		}
		b = append(b, v)
		i += 2
	}
	return string(b), true
}
