package chat

import "strings"

// MOTD limits: how many lines of the message of the day are sent, and how
// long each may be (in code points, after sanitising).
const (
	MaxMOTDLines   = 20
	MaxMOTDLineLen = MaxMessageLen
)

// TextNoMOTD answers /motd when there is no message of the day.
const TextNoMOTD = "There is no message of the day."

// ParseMOTD turns the text of a message-of-the-day file into the lines
// users get: each line sanitised (Sanitize) and trimmed, empty ones
// skipped, each cut at MaxMOTDLineLen characters, at most MaxMOTDLines of
// them. It also returns how many non-empty lines it left out past that.
func ParseMOTD(text string) (lines []string, dropped int) {
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if line = Sanitize(line); line == "" {
			continue
		}
		if len(lines) == MaxMOTDLines {
			dropped++
			continue
		}
		if RuneLen(line) > MaxMOTDLineLen {
			line = strings.TrimSpace(string([]rune(line)[:MaxMOTDLineLen]))
		}
		lines = append(lines, line)
	}
	return lines, dropped
}

// SetMOTD sets the message of the day to lines (as ParseMOTD returns
// them; nil or empty for none), for logins and /motd from now on. Safe
// from any goroutine.
func (h *Hub) SetMOTD(lines []string) {
	if len(lines) == 0 {
		h.motd.Store(nil)
		return
	}
	lines = append([]string(nil), lines...)
	h.motd.Store(&lines)
}

// MOTD returns the lines of the message of the day, nil for none. The
// slice is shared: do not modify it. Safe from any goroutine.
func (h *Hub) MOTD() []string {
	if p := h.motd.Load(); p != nil {
		return *p
	}
	return nil
}

// pushMOTD queues the message of the day for s, one system line a line,
// in a round of w: right after "Logging in as". The caller holds h.mu.
func (h *Hub) pushMOTD(s *Session, w *Wakes) {
	for _, line := range h.MOTD() {
		s.out.PushHeld(h.systemEvent(line), w)
	}
}

// showMOTD answers /motd.
func (s *Session) showMOTD() {
	lines := s.hub.MOTD()
	if len(lines) == 0 {
		s.Notify(TextNoMOTD)
		return
	}
	for _, line := range lines {
		s.Notify(line)
	}
}
