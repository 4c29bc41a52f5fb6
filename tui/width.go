package tui

import (
	"unicode/utf8"
)

// Terminals do not agree on the width of every grapheme cluster. Those
// that count by code point (xterm, VTE; wcwidth) draw "👍🏽" (thumbs up,
// skin tone) in 4 cells, those that count clusters (Windows Terminal,
// iTerm2, kitty, WezTerm; and lipgloss and x/ansi, which measure clusters
// with displaywidth, so this UI's layout) in 2. "❤️" (heart, VS16) is 1 or
// 2; a ZWJ family "👨‍👩‍👧" is 6 by code point and 2 as a cluster; tmux 3.3a
// has its own mix: it joins a ZWJ sequence (2) but not a skin tone (4) nor
// VS16 (1). A line measured one way and drawn another pushes the pane's
// right border out of place, or leaves a gap before it.
//
// So the messages pane shows text without what makes them disagree, and
// every terminal draws a message in the cells it was given: the zero width
// joiner (a ZWJ sequence shows as its parts, "👨👩👧", 6 everywhere), the
// emoji variation selectors VS15 and VS16 (the base in its default
// presentation, "❤", 1), skin tones after another character ("👍", 2; a
// tone on its own is a swatch, 2), and a regional indicator left without
// its pair (1 or 2), shown as its letter. Left are clusters every one of
// them measures alike: single emoji and flags (2), wide CJK (2), letters
// with combining marks (1).

const (
	zwj                 = 0x200d
	vs15, vs16          = 0xfe0e, 0xfe0f
	toneFirst, toneLast = 0x1f3fb, 0x1f3ff // emoji modifiers (skin tones)
	riFirst, riLast     = 0x1f1e6, 0x1f1ff // regional indicators, in pairs a flag
)

func isRI(r rune) bool { return r >= riFirst && r <= riLast }

// shown returns text as the messages pane draws it (see above). Text
// without any of those code points is returned as it is, without copying.
func shown(text string) string {
	i := 0
	for i < len(text) {
		if text[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == zwj || r == vs15 || r == vs16 || r >= toneFirst && r <= toneLast || isRI(r) {
			break
		}
		i += size
	}
	if i == len(text) {
		return text
	}
	b := make([]byte, i, len(text))
	copy(b, text)
	ri := 0 // regional indicators in a row so far
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if isRI(r) {
			if ri++; ri%2 == 1 {
				if next, _ := utf8.DecodeRuneInString(text[i:]); !isRI(next) {
					b = append(b, byte('A'+r-riFirst)) // no pair: its letter
					continue
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		}
		ri = 0
		switch {
		case r == zwj || r == vs15 || r == vs16:
			continue
		case r >= toneFirst && r <= toneLast && len(b) > 0 && b[len(b)-1] != '\n':
			continue // it would join the character before it
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
