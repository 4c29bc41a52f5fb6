package chat

import (
	"context"
	"errors"
	"time"
)

// TextReplaced is what the older session of a name is told when a login
// that proved the name replaces it (PROTOCOL.md, "Ghosts"); its connection
// then closes.
const TextReplaced = "You logged in from another connection."

// ErrReplaced ends a login that a newer login proving the same name
// replaced before it was through: it has been told TextReplaced, and its
// door closes the connection. RefusalText words it the same way.
var ErrReplaced = errors.New("replaced by a newer login of the name")

// ghost is a session that a login replaced (Hub.claimOver), and what is
// left to do for it once Hub.mu is released (Hub.replaced).
type ghost struct {
	s    *Session
	room *room         // the room it left; nil if it was still logging in
	left chan struct{} // closed once its leave was announced; nil without a room

	release func(context.Context) error // its hold of the name in the cluster, nil for none
}

// claimOver is claim for the login of s, for which the door proved the
// name (opt.Proven): if the name is online, that older session is
// replaced, unless claim refuses the login for another reason, in which
// case nothing changes. The older session is logged out here, under the
// lock that lets the new one in, so that two proven logins racing for one
// name end with one of them online and nobody else: the session replaced
// is returned for the caller to finish with Hub.replaced once it has
// unlocked. A name that is online and not proven stays ErrNameTaken, and a
// look-alike online is never replaced. The caller holds h.mu for writing.
func (h *Hub) claimOver(s *Session, opt LoginOptions, now time.Time) (claimed, *ghost, error) {
	old := h.users[s.key]
	if old == nil || !(opt.Proven || h.ownedBy(s.key, opt.KeyID, now)) {
		c, err := h.claim(s.name, s.key, s.sks, opt.KeyID, opt.Addr, opt.Proven, now)
		return c, nil, err
	}
	delete(h.users, s.key) // claim must not find the name taken by the session it replaces
	c, err := h.claim(s.name, s.key, s.sks, opt.KeyID, opt.Addr, opt.Proven, now)
	if err != nil {
		h.users[s.key] = old
		return c, nil, err
	}
	g := &ghost{s: old, room: h.logOut(old), release: old.release}
	old.release = nil
	if g.room != nil {
		g.left = make(chan struct{})
		s.ghosts = append(s.ghosts, g.left)
	} else {
		// Replaced while it was logging in: it never joined, so it leaves
		// nothing to announce, but the leave lines it was waiting for
		// itself must come before the join of s.
		s.ghosts = append(s.ghosts, old.ghosts...)
	}
	return c, g, nil
}

// replaced finishes what claimOver began for g, with no lock held: the
// session is told TextReplaced and its outbox closed (so its door closes
// the connection once the line is written), and its room gets the leave
// lines, once its own login has announced its join (see joined). Then the
// login that replaced it may announce its join. Safe with g nil.
func (h *Hub) replaced(g *ghost, by LoginOptions) {
	if g == nil {
		return
	}
	g.s.out.Push(h.systemEvent(TextReplaced))
	h.loggedOut(g.s, nil, false, "logged in from another connection", "by_door", by.Door, "by_addr", by.Addr)
	h.releaseName(g.s, g.release) // the login replacing it holds the name already (Hub.login)
	if g.room == nil {
		return
	}
	a := &g.s.announce
	a.Lock()
	if !a.joined { // its Login is still announcing the join: the leave comes after it
		a.leave = g
		a.Unlock()
		return
	}
	a.Unlock()
	h.announceLeave(g)
}

// joined records that the join of s has been announced, by Login once the
// plugins' join hooks have run, and announces its leave if a newer login
// replaced it meanwhile: so its room never sees it leave before it joined.
func (h *Hub) joined(s *Session) {
	a := &s.announce
	a.Lock()
	a.joined = true
	g := a.leave
	a.leave = nil
	a.Unlock()
	if g != nil {
		h.announceLeave(g)
	}
}

// announceLeave gives the room g left its leave lines, unless they would
// reach nobody (quietLeave), then lets the login that replaced it announce
// its join.
func (h *Hub) announceLeave(g *ghost) {
	h.shareRoster(g.s, g.room, RosterLeave)
	h.mu.RLock()
	closing := h.closing
	h.mu.RUnlock()
	if !h.quietLeave(closing) {
		h.leaveLines(g.s, g.room)
	}
	close(g.left)
}

// quietLeave reports whether a user leaving now leaves without leave
// lines: while a single node shuts down, when everyone leaves and nobody
// is left to read them. A node of a cluster that carries lines still
// sends them while it shuts down (drains), so that the members on the
// other nodes see its users leave at once, not once their names' time to
// live ran out (cluster.Lines.RunGone, for a node that died).
func (h *Hub) quietLeave(closing bool) bool {
	return closing && h.lines == nil
}

// awaitLeaves waits until the leave lines of the sessions the login of s
// replaced have gone out, so that their rooms see each leave before the
// join of s, and s does not see them. A login that replaced nobody does
// not wait. Only the goroutine logging s in calls it, after the lock of
// claimOver was released: s.ghosts is no longer written then.
func (s *Session) awaitLeaves(ctx context.Context) {
	for _, left := range s.ghosts {
		select {
		case <-left:
		case <-ctx.Done():
			return
		}
	}
}

// logOut takes s out of the hub: its room, the users online and the
// counts of sessions it was in. It returns the room s left, nil if it was
// still logging in. The caller holds h.mu for writing, has checked that s
// is not closed yet, and calls loggedOut once it has unlocked.
func (h *Hub) logOut(s *Session) *room {
	s.closed = true
	r := s.room
	h.dropLogin(s)
	if r == nil {
		return nil // Login counts it in below, with its room
	}
	h.leave(r, s)
	if s.roster {
		h.rosterN--
	}
	if s.ignored.Load() != nil {
		h.ignoring--
	}
	return r
}

// loggedOut finishes logOut with no lock held: the outbox of s closes and,
// unless the leave is quiet (quietLeave: a single node closing), the room
// r s left (if any, and not nil) gets the plugins' leave lines. Why, if not "", and args are logged with it.
func (h *Hub) loggedOut(s *Session, r *room, closing bool, why string, args ...any) {
	s.out.Close()
	log := []any{"user", LogName(s.name), "door", s.door, "addr", s.addr}
	if why != "" {
		log = append(append(log, "reason", why), args...)
	}
	h.log.Info("logout", log...)
	h.shareRoster(s, r, RosterLeave)
	if h.quietLeave(closing) || r == nil {
		return
	}
	h.leaveLines(s, r)
}

// leaveLines tells the screens in r that s left it and runs the plugins'
// leave hooks (helperbot's leave line); no lock is held.
func (h *Hub) leaveLines(s *Session, r *room) {
	h.rosterRoom(r)
	ctx := context.Background()
	h.hook(func(b *Bot) { b.plugin.UserLeft(ctx, b, User{Name: s.name, Room: r.name}) })
}

// dropLogin lets go of the name that the login of s held, if s still holds
// it: a login that failed after claim. The caller holds h.mu for writing.
func (h *Hub) dropLogin(s *Session) {
	if h.users[s.key] == s {
		delete(h.users, s.key)
		h.online.remove(s.sks, s.key)
	}
}

// ownedBy reports whether the SSH key keyID owns the name whose folded
// form is key at now. The caller holds h.mu.
func (h *Hub) ownedBy(key, keyID string, now time.Time) bool {
	if keyID == "" {
		return false
	}
	rec, ok := h.owners[key]
	return ok && rec.KeyID == keyID && !h.lapsed(rec, now)
}
