package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TextDurations answers a DURATION argument that is not one.
const TextDurations = "Durations look like 30m, 2h or 7d."

// MaxDuration is the longest DURATION: 365 days.
const MaxDuration = 365 * 24 * time.Hour

// Duration is a DURATION as a user typed it: a whole number of minutes,
// hours or days, shown back in the same form (String).
type Duration struct {
	N    int  // how many units, at least 1
	Unit byte // 'm', 'h' or 'd'
}

// ParseDuration reads a DURATION, "30m", "2h" or "7d" (the unit in either
// case), at most MaxDuration. It returns an error for anything else; the
// user is then told TextDurations.
func ParseDuration(s string) (Duration, error) {
	bad := fmt.Errorf("parse duration %q: want a whole number of m, h or d up to 365d", s)
	if len(s) < 2 || len(s) > 7 {
		return Duration{}, bad
	}
	unit := strings.ToLower(s[len(s)-1:])[0]
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Duration{}, bad
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 {
		return Duration{}, bad
	}
	d := Duration{N: n, Unit: unit}
	if per := d.per(); per == 0 || time.Duration(n) > MaxDuration/per {
		return Duration{}, bad
	}
	return d, nil
}

// per returns the length of one of d's units, 0 for an unknown unit.
func (d Duration) per() time.Duration {
	switch d.Unit {
	case 'm':
		return time.Minute
	case 'h':
		return time.Hour
	case 'd':
		return 24 * time.Hour
	}
	return 0
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d.N) * d.per() }

// String returns d as a user types it: "30m", "2h", "7d".
func (d Duration) String() string { return strconv.Itoa(d.N) + string(d.Unit) }

// FormatElapsed shows an elapsed time as its two largest units, as /whois
// does: "45s", "3m12s", "2h05m", "3d04h". Negative times show as "0s".
func FormatElapsed(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}
