package chat

// EventSize is eventSize, for the tests of package chat_test.
var EventSize = eventSize

// IsIgnorable exposes isIgnorable to the tests of package chat_test.
var IsIgnorable = isIgnorable

// LooksAlike reports whether the hub would take a and b for look-alikes.
func LooksAlike(a, b string) bool {
	l := lookalikes{}
	l.add(skeletons(Fold(a)), "a")
	_, like := l.find(skeletons(Fold(b)), "b")
	return like
}

// CheckNameForLogin runs the checks Login runs on a name before it looks
// at who is online or owns what.
func CheckNameForLogin(name string) error {
	_, _, _, err := loginName(name)
	return err
}

// Locked reports whether a goroutine holds h.mu for writing (or waits for
// it): a log handler asks it to catch logging under the lock.
func (h *Hub) Locked() bool {
	if h.mu.TryRLock() {
		h.mu.RUnlock()
		return false
	}
	return true
}

// Ignoring returns how many sessions online ignore someone: while it is
// 0, a fan-out looks at nobody's ignore list.
func (h *Hub) Ignoring() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.ignoring
}

// Untold returns how many names have invitations they were not told yet.
func (h *Hub) Untold() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.untold)
}

// ProtectBehind gives the name called name a password hash without a
// session's knowledge, as a race with another login would: for the test
// of a session that may not set the password of a name it holds.
func (h *Hub) ProtectBehind(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pw.set(Fold(Normalize(name)), Normalize(name), "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
}

// OwnedBy reports whether the SSH key whose fingerprint is keyID owns the
// name called name: a binding in force, as a login's claim sees it.
func (h *Hub) OwnedBy(name, keyID string) bool {
	if keyID == "" {
		return false
	}
	_, key, _, err := loginName(name)
	if err != nil {
		return false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.ownedBy(key, keyID, h.now())
}

// LiftBan is this node's own lift of the ban of the folded name from the
// folded room, the record deleted in the cluster being at revision rev
// (what sharedTimed.DeleteBan does once the cluster said yes).
func (h *Hub) LiftBan(room, name string, rev uint64) { h.liftBan(room, name, rev, false) }
