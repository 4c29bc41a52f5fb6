package chat

import (
	"slices"
	"strings"
)

// OnlineNames returns the names of the users logged in, in any room, that
// begin with prefix (ignoring case), as they logged in, sorted, at most
// limit of them (the first ones in that order; limit <= 0: none). It is
// for a screen's Tab completion: it holds Hub.mu's read lock for one walk
// of the online users, comparing names without allocating, and sorts
// after letting go. Safe for concurrent use.
func (h *Hub) OnlineNames(prefix string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	var out []string
	h.mu.RLock()
	for _, s := range h.users {
		if hasPrefixFold(s.name, prefix) {
			out = append(out, s.name)
		}
	}
	h.mu.RUnlock()
	slices.SortFunc(out, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out[:min(len(out), limit)]
}

// hasPrefixFold reports whether s begins with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
