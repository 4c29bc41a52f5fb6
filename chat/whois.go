package chat

import (
	"strings"
	"time"
)

// WhoisInfo is what /whois tells of an online user, read under Hub.mu
// by their node.
type WhoisInfo struct {
	Name       string    `json:"name"`
	Room       string    `json:"room"`
	Door       string    `json:"door"`
	KeyID      string    `json:"key,omitempty"`
	Addr       string    `json:"addr,omitempty"` // shown to an operator only
	Since      time.Time `json:"since"`
	Active     time.Time `json:"active"`
	AwayReason string    `json:"away_reason,omitempty"`
	Away       bool      `json:"away,omitempty"`
	Operator   bool      `json:"operator,omitempty"`
	Password   bool      `json:"password,omitempty"`
	AdminOf    []string  `json:"admin_of,omitempty"` // rooms they are an admin of, in creation order
}

// whois answers /whois NAME: where the user called NAME is, since when
// and how idle, then what applies of away, key, rooms they are an admin
// of, operator, and, for an operator asking, the address they came from.
// A user on another node is described by their node.
func (s *Session) whois(args string) {
	name, _ := CutArg(args)
	if name == "" {
		s.Notify("Please specify a username.")
		return
	}
	w, ok := s.hub.whoisOf(name)
	if !ok && s.hub.cluster != nil {
		w, ok = s.hub.remoteWhois(name, s.operator)
	}
	if !ok {
		s.Notify("Could not find someone with that username.")
		return
	}
	now := s.hub.now()
	lines := []string{"in '" + w.Room + "' via " + w.Door + ", online for " + FormatElapsed(now.Sub(w.Since)) +
		", idle " + FormatElapsed(now.Sub(w.Active))}
	switch {
	case w.Away && w.AwayReason != "":
		lines = append(lines, "away: "+w.AwayReason)
	case w.Away:
		lines = append(lines, "away")
	}
	if w.KeyID != "" {
		lines = append(lines, "key "+w.KeyID)
	}
	if w.Password {
		lines = append(lines, "protected by a password")
	}
	if len(w.AdminOf) > 0 {
		lines = append(lines, "admin of '"+strings.Join(w.AdminOf, "', '")+"'")
	}
	if w.Operator {
		lines = append(lines, "server operator")
	}
	if s.operator && w.Addr != "" {
		lines = append(lines, "from "+w.Addr)
	}
	for _, l := range lines {
		s.Notify(w.Name + ": " + l)
	}
}

// whoisOf returns what /whois tells of the user called name online on
// this hub; ok is false if nobody online here is called that.
func (h *Hub) whoisOf(name string) (w WhoisInfo, ok bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := h.users[Fold(Normalize(name))]
	if t == nil || t.room == nil {
		return w, false
	}
	w = WhoisInfo{Name: t.name, Room: t.room.name, Door: t.door, KeyID: t.keyID, Addr: hostOf(t.addr),
		Since: t.since, Active: t.since, Operator: t.operator, Password: h.pw.has(t.key)}
	if n := t.active.Load(); n != 0 {
		w.Active = time.Unix(0, n)
	}
	w.AwayReason, w.Away = t.Away()
	for _, r := range h.order {
		if !r.gone && r.isAdmin(t.key) {
			w.AdminOf = append(w.AdminOf, r.name)
		}
	}
	return w, true
}

// remoteWhois asks the node of the user called name what /whois tells of
// them (operator: for an operator, who sees their address); ok is false
// if no node has them online, or theirs does not answer in time.
func (h *Hub) remoteWhois(name string, operator bool) (w WhoisInfo, ok bool) {
	rep, err := h.remote(RemoteRequest{Verb: VerbWhois, Target: name, Operator: operator})
	if err != nil || rep.Whois == nil {
		return WhoisInfo{}, false
	}
	if !operator {
		rep.Whois.Addr = ""
	}
	return *rep.Whois, true
}
