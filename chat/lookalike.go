package chat

//go:generate go run gen_ignorable.go -ucd /usr/share/unicode/DerivedCoreProperties.txt -o ignorable_table.go

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
)

// oneScript reports whether the letters of s are of one script, decimal
// digits of any script, Common and Inherited (combining marks, '-', '_',
// '.') going with any, or of one of the sets of scripts that UTS #39's
// "highly restrictive" level allows together: Latin, Han, Hiragana and
// Katakana (Japanese: "漢字abc" is allowed); Latin, Han and Bopomofo
// (Chinese); Latin, Han and Hangul (Korean). A name may use any part of
// one set ("abc日本", "한국어漢字"), never two sets ("한カ") nor another
// script with any ("аlice", with a Cyrillic а, mixes Cyrillic and Latin).
//
// Scripts are Go's unicode.Scripts (the Unicode Scripts property, not
// Script_Extensions). A name has at most 20 runes; the script of the
// previous letter is tried first, so a name of one script costs one lookup
// in the table of scripts.
func oneScript(s string) bool {
	var seen scriptSet
	var last, otherTable *unicode.RangeTable
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
				seen |= latin
			}
			continue
		case last != nil && unicode.Is(last, r), unicode.Is(unicode.Nd, r):
			continue
		}
		name, table := scriptOf(r)
		if table == nil {
			continue // Common, Inherited
		}
		last = table
		set := setOf(name)
		if set == other {
			if otherTable != nil && otherTable != table {
				return false // two scripts outside the CJK family and Latin
			}
			otherTable = table
		}
		seen |= set
	}
	return seen.allowed()
}

// scriptSet is a set of scripts: Latin and the CJK ones each have a bit,
// every other script shares the bit other (oneScript refuses two of them
// before they meet here).
type scriptSet uint8

const (
	latin scriptSet = 1 << iota
	han
	hiragana
	katakana
	bopomofo
	hangul
	other // one script outside the above
)

func setOf(name string) scriptSet {
	switch name {
	case "Latin":
		return latin
	case "Han":
		return han
	case "Hiragana":
		return hiragana
	case "Katakana":
		return katakana
	case "Bopomofo":
		return bopomofo
	case "Hangul":
		return hangul
	}
	return other
}

// allowed reports whether a string whose letters are of the scripts in s
// is highly restrictive in UTS #39's sense.
func (s scriptSet) allowed() bool {
	if s&(s-1) == 0 { // at most one script
		return true
	}
	if s&other != 0 {
		return false
	}
	const japanese = latin | han | hiragana | katakana
	const chinese = latin | han | bopomofo
	const korean = latin | han | hangul
	return s&^japanese == 0 || s&^chinese == 0 || s&^korean == 0
}

// scriptOf returns the script of r and its table, or a nil table for
// Common and Inherited (or an unassigned r). The scripts of most names are
// tried first; the rest, in unicode.Scripts, cost a scan of ~160 tables.
func scriptOf(r rune) (string, *unicode.RangeTable) {
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return "", nil
	}
	for _, name := range [...]string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic"} {
		if table := unicode.Scripts[name]; unicode.Is(table, r) {
			return name, table
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name, table
		}
	}
	return "", nil
}

// skeletonSet holds the keys under which a name is compared with the
// names it may be mistaken for (see skeletons); a duplicate is left empty.
type skeletonSet [2]string

// skeletons returns the keys under which the name whose key (Fold) is key
// is compared with the names it may be mistaken for: the look-alike keys
// (lookKey) of the name in lower case and in upper case, after small
// capitals are read as their letters. Two names look alike when they
// share a key. The keys depend on the name's key only, not
// on the case it was typed in: names are the same whatever their case and a
// user is shown in the case they typed, so a name looks like another when
// some spelling of it does. Lower case catches "аӏісе" (all Cyrillic) for
// alice, upper case "ΤΟΜ" (all Greek) for TOM, whose lower case "τομ" looks
// like nothing Latin. Small capitals look like capitals that case mapping
// does not reach (ᴍ has no upper case): read as their letters, "ᴍike"
// meets MIKE. A key is never shown.
func skeletons(key string) skeletonSet {
	s := strings.Map(smallCapital, key)
	lower, upper := strings.ToLower(s), strings.ToUpper(s)
	out := skeletonSet{lookKey(lower)}
	if upper != lower { // else a script without case
		if sk := lookKey(upper); sk != out[0] {
			out[1] = sk
		}
	}
	return out
}

// lookKey returns the confusable skeleton of s (UTS #39: NFD, each
// character mapped to its prototype, NFD again) folded further: to lower
// case, and i taken for l. The table is github.com/mtibben/confusables,
// generated from UTS #39's confusables.txt, version 13.0.0 (2020-02-13).
//
// The skeleton alone tells apart what the common fonts draw alike once a
// user picks the case they are shown in. It maps I, 1, | and Cyrillic Ӏ to
// l, but ı, ɪ, Cyrillic і and palochka ӏ (a bar, like l, in most fonts) to
// i, and 0 to O. Folded, 0, O and o are one class, and i, I, l, L, 1 and ӏ
// another: alice may be shown as "alIce", which looks like "allce", so
// ALLCE looks like alice, and so do "аӏісе" (all Cyrillic) and "a1ice";
// "paypa1" looks like paypal, "b0b" like bob. m stays "rn", as UTS #39 has
// it: a terminal's fixed cells tell them apart, but logs and other clients
// may not, and a false alarm only costs a user another name.
func lookKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r = unicode.ToLower(r); r == 'i' {
			return 'l'
		}
		return r
	}, confusables.Skeleton(s))
}

// smallCapital maps the letters named LATIN LETTER SMALL CAPITAL A…Z
// (there is no X) to their small letters. A small capital looks like its
// capital, which case mapping does not reach; confusables.txt leaves most
// of them alone (and maps ᴍ to ʍ). Any other rune is itself.
func smallCapital(r rune) rune {
	if r < 0x262 {
		return r
	}
	if l, ok := smallCapitals[r]; ok {
		return l
	}
	return r
}

var smallCapitals = map[rune]rune{
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ꜰ': 'f', 'ɢ': 'g', 'ʜ': 'h', 'ɪ': 'i',
	'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p', 'ꞯ': 'q', 'ʀ': 'r',
	'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
}

// lookalikes finds, for a name, a name it may be mistaken for among those
// added: a map from each of a name's skeletons to the keys (Fold) of the
// names added under it, in the order added. Names that look alike may all
// be kept (an older store may hold rooms, bans or owned names that look
// alike): removing one leaves the others found. Not safe for concurrent
// use: the Hub guards it.
type lookalikes map[string][]string

// add records a name, whose key is key and skeletons sks.
func (l lookalikes) add(sks skeletonSet, key string) {
	for _, sk := range sks {
		if sk != "" && !slices.Contains(l[sk], key) {
			l[sk] = append(l[sk], key)
		}
	}
}

// remove forgets a name, whose key is key and skeletons sks; the other
// names under its skeletons stay.
func (l lookalikes) remove(sks skeletonSet, key string) {
	for _, sk := range sks {
		keys := slices.DeleteFunc(l[sk], func(k string) bool { return k == key })
		if len(keys) == 0 {
			delete(l, sk)
		} else {
			l[sk] = keys
		}
	}
}

// find returns the key of a name added that looks like a name whose
// skeletons are sks, and is not that name itself (whose key is key): the
// first added of them.
func (l lookalikes) find(sks skeletonSet, key string) (string, bool) {
	for _, sk := range sks {
		for _, k := range l[sk] {
			if sk != "" && k != key {
				return k, true
			}
		}
	}
	return "", false
}

// addBan records b in the room, replacing the ban of the same name. The
// caller holds Hub.mu for writing or owns the hub.
func (r *room) addBan(b BanRecord) { r.bans.put(Fold(b.Name), b) }

// roomLookAlike returns the room, other than the one whose folded name is
// key, whose name looks like a room name with the skeletons sks: "сhat"
// (Cyrillic с) must not become a second "chat". It returns nil if there is
// none, or if a room is called key itself. The caller holds mu.
func (h *Hub) roomLookAlike(key string, sks skeletonSet) *room {
	if h.rooms[key] != nil {
		return nil
	}
	if k, like := h.roomLike.find(sks, key); like {
		return h.rooms[k]
	}
	return nil
}
