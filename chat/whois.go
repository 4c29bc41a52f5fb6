package chat

import (
	"strings"
	"time"
)

// whoisInfo is what /whois tells of an online user, read under Hub.mu.
type whoisInfo struct {
	name, room, door, keyID, addr string
	since, active                 time.Time
	awayReason                    string
	away, operator, password      bool
	adminOf                       []string // rooms they are an admin of, in creation order
}

// whois answers /whois NAME: where the user called NAME is, since when
// and how idle, then what applies of away, key, rooms they are an admin
// of, operator, and, for an operator asking, the address they came from.
func (s *Session) whois(args string) {
	name, _ := CutArg(args)
	if name == "" {
		s.Notify("Please specify a username.")
		return
	}
	w, asker, ok := s.hub.whoisOf(name, s)
	if !ok {
		s.Notify("Could not find someone with that username.")
		return
	}
	now := s.hub.now()
	lines := []string{"in '" + w.room + "' via " + w.door + ", online for " + FormatElapsed(now.Sub(w.since)) +
		", idle " + FormatElapsed(now.Sub(w.active))}
	switch {
	case w.away && w.awayReason != "":
		lines = append(lines, "away: "+w.awayReason)
	case w.away:
		lines = append(lines, "away")
	}
	if w.keyID != "" {
		lines = append(lines, "key "+w.keyID)
	}
	if w.password {
		lines = append(lines, "protected by a password")
	}
	if len(w.adminOf) > 0 {
		lines = append(lines, "admin of '"+strings.Join(w.adminOf, "', '")+"'")
	}
	if w.operator {
		lines = append(lines, "server operator")
	}
	if asker && w.addr != "" {
		lines = append(lines, "from "+w.addr)
	}
	for _, l := range lines {
		s.Notify(w.name + ": " + l)
	}
}

// whoisOf returns what /whois tells of the online user called name, and
// whether asker is a server operator; ok is false if nobody online is
// called that.
func (h *Hub) whoisOf(name string, asker *Session) (w whoisInfo, isOp, ok bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	isOp = asker.operator
	t := h.users[Fold(Normalize(name))]
	if t == nil || t.room == nil {
		return w, isOp, false
	}
	w = whoisInfo{name: t.name, room: t.room.name, door: t.door, keyID: t.keyID, addr: hostOf(t.addr),
		since: t.since, active: t.since, operator: t.operator, password: h.pw.has(t.key)}
	if n := t.active.Load(); n != 0 {
		w.active = time.Unix(0, n)
	}
	w.awayReason, w.away = t.Away()
	for _, r := range h.order {
		if !r.gone && r.isAdmin(t.key) {
			w.adminOf = append(w.adminOf, r.name)
		}
	}
	return w, isOp, true
}
