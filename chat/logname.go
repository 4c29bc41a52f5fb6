package chat

import (
	"strconv"
	"unicode/utf8"
)

// LogNameMax is how many bytes of a user-chosen name or room a log line
// keeps.
const LogNameMax = 64

// LogName returns s, a name or room a user chose (valid or not), fit for a
// log attribute: cut to LogNameMax bytes at a character boundary and, when
// cut, followed by its full length, so that a 30 KB name costs a log line
// less than a hundred bytes.
func LogName(s string) string {
	if len(s) <= LogNameMax {
		return s
	}
	cut := LogNameMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
