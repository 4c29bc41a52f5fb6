package chat

import (
	"context"
	"strconv"
	"strings"
)

// MaxIgnores is how many names one user may ignore: the list is kept in
// memory while they are online, and in the store for a protected name.
const MaxIgnores = 100

// Texts of /ignore and /unignore (without the "<system> " tag).
const (
	textIgnoreUnknown  = "Could not find someone with that username."
	textIgnoreNoName   = "Please specify a username."
	textIgnoreSelf     = "You cannot ignore yourself."
	textIgnoringNobody = "You're not ignoring anyone."
)

// ignoreList is the names a user ignores (/ignore). It is immutable once
// made: /ignore and /unignore replace it whole, so a fan-out reads it with
// one atomic load and no lock. A nil list ignores nobody, and an empty one
// is never stored: nil stands for it.
type ignoreList struct {
	names []string        // as shown, in the order ignored
	keys  map[string]bool // Fold of each name
}

// has reports whether l holds the name whose folded form is key.
func (l *ignoreList) has(key string) bool { return l != nil && l.keys[key] }

// said reports whether l ignores the author from of a message, a name
// as its user logged in.
func (l *ignoreList) said(from string) bool { return l != nil && l.keys[Fold(from)] }

// shown returns the name in l that folds to key, as it was ignored.
func (l *ignoreList) shown(key string) string {
	for _, n := range l.names {
		if Fold(n) == key {
			return n
		}
	}
	return ""
}

func (l *ignoreList) len() int {
	if l == nil {
		return 0
	}
	return len(l.names)
}

// with returns l and name (not in l already).
func (l *ignoreList) with(name string) *ignoreList {
	n := &ignoreList{keys: make(map[string]bool, l.len()+1)}
	if l != nil {
		n.names = append(n.names, l.names...)
	}
	n.names = append(n.names, name)
	for _, s := range n.names {
		n.keys[Fold(s)] = true
	}
	return n
}

// without returns l without the name whose folded form is key: nil if
// nothing is left.
func (l *ignoreList) without(key string) *ignoreList {
	var n *ignoreList
	for _, s := range l.names {
		if Fold(s) != key {
			n = n.with(s)
		}
	}
	return n
}

// ignores reports whether s ignores the user whose folded name is key.
// Safe from any goroutine.
func (s *Session) ignores(key string) bool { return s.ignored.Load().has(key) }

// setIgnored makes l the list of names s ignores, keeping count in
// h.ignoring of the sessions online that ignore someone: while it is 0, a
// fan-out skips nobody without looking. The caller holds h.mu for writing.
func (h *Hub) setIgnored(s *Session, l *ignoreList) {
	if l.len() == 0 {
		l = nil
	}
	was := s.ignored.Swap(l) != nil
	if s.closed {
		return // counted out by Close
	}
	switch {
	case was && l == nil:
		h.ignoring--
	case !was && l != nil:
		h.ignoring++
	}
}

// protected reports whether the user's name is protected and they proved
// it, by its key or its password (Session.Proven, password.go). A
// protected name's ignore list is kept in the store, across logins.
func (s *Session) protected() bool { return s.Proven() }

// loadIgnored returns the ignore list kept for the name logging in, whose
// binding claim found as c: the stored one for a name its key owned
// already; none otherwise. A name its key has just bound may have been
// another key's, whose binding lapsed: that owner's list is dropped. A
// list that cannot be read is logged and the login goes on without it.
func (h *Hub) loadIgnored(ctx context.Context, name string, c claimed) *ignoreList {
	if !c.proven {
		return nil // not protected: nothing was kept
	}
	recs, err := h.store.Ignores(ctx, name)
	if err != nil {
		h.log.Error("load ignore list", "user", LogName(name), "err", err)
		return nil
	}
	if c.bound {
		if len(recs) > 0 {
			if err := h.store.DeleteIgnores(ctx, name); err != nil {
				h.log.Error("drop a former owner's ignore list", "user", LogName(name), "err", err)
			}
		}
		return nil
	}
	var l *ignoreList
	for _, r := range recs {
		if !l.has(Fold(r.Ignored)) && l.len() < MaxIgnores {
			l = l.with(r.Ignored)
		}
	}
	return l
}

// ignore runs /ignore [NAME]: lists the names the user ignores, or adds
// NAME, the first argument, to them. NAME need not be online; it is shown
// as its user logged in if they are, else as typed (sanitised and
// normalised, as a login would take it). A name nobody could log in with
// is not found. For a protected name the list is stored before it changes.
func (s *Session) ignore(ctx context.Context, args string) {
	h := s.hub
	typed, _ := CutArg(args)
	cur := s.ignored.Load()
	if typed == "" {
		if cur == nil {
			s.Notify(textIgnoringNobody)
			return
		}
		s.Notify("You're ignoring: " + strings.Join(cur.names, ", "))
		return
	}
	name, key, sks, err := loginName(typed)
	switch {
	case err != nil || h.isReserved(key, sks):
		s.Notify(textIgnoreUnknown)
		return
	case key == s.key:
		s.Notify(textIgnoreSelf)
		return
	case cur.has(key):
		s.Notify("You're already ignoring " + cur.shown(key) + ".")
		return
	case cur.len() >= MaxIgnores:
		s.Notify("You cannot ignore more than " + strconv.Itoa(MaxIgnores) + " names.")
		return
	}
	if u := h.find(name); u != nil {
		name = u.name
	}
	if s.protected() {
		if err := h.store.SaveIgnore(ctx, IgnoreRecord{Name: s.name, Ignored: name, Time: h.now()}); err != nil {
			h.log.Error("store ignore", "user", LogName(s.name), "err", err)
			s.Notify("Could not ignore " + name + ", please try again.")
			return
		}
	}
	h.mu.Lock()
	if cur = s.ignored.Load(); !cur.has(key) {
		h.setIgnored(s, cur.with(name))
	}
	h.mu.Unlock()
	s.Notify("You're now ignoring " + name + ".")
}

// unignore runs /unignore NAME: NAME, the first argument, is no longer
// ignored. It is shown as it was ignored, or, if it was not, as its user
// logged in if they are online, else as typed.
func (s *Session) unignore(ctx context.Context, args string) {
	h := s.hub
	typed, _ := CutArg(args)
	if typed == "" {
		s.Notify(textIgnoreNoName)
		return
	}
	name := Normalize(typed)
	key := Fold(name)
	cur := s.ignored.Load()
	if !cur.has(key) {
		if u := h.find(name); u != nil {
			name = u.name
		}
		s.Notify("You're not ignoring " + name + ".")
		return
	}
	name = cur.shown(key)
	if s.protected() {
		if err := h.store.DeleteIgnore(ctx, s.name, name); err != nil {
			h.log.Error("delete ignore", "user", LogName(s.name), "err", err)
			s.Notify("Could not stop ignoring " + name + ", please try again.")
			return
		}
	}
	h.mu.Lock()
	h.setIgnored(s, s.ignored.Load().without(key))
	h.mu.Unlock()
	s.Notify("You're no longer ignoring " + name + ".")
}

// ignorable returns what fanOutFrom leaves out for what s says: s's folded
// name if anyone online ignores someone, else "". The caller holds h.mu.
func (h *Hub) ignorable(s *Session) string {
	if h.ignoring == 0 {
		return ""
	}
	return s.key
}
