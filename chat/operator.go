package chat

// OperatorChange is a user whose operator rights a reload of the
// operators file changed (Hub.SetOperators).
type OperatorChange struct {
	Name     string // as logged in
	KeyID    string // the SSH key they logged in with
	Operator bool   // their rights now: granted (true) or revoked
}

// SetOperators applies a new operators file to the users online: a user
// logged in with an SSH key is a server operator from now on exactly when
// isOp(its fingerprint) holds. Nothing else changes: nobody is logged
// out, and rooms' admins stay as they are. It returns the users whose
// rights changed, for the caller to log. Later logins are checked against
// isOp too, so a login that raced the reload keeps no revoked rights and
// gets those granted. Safe from any goroutine; isOp runs under the hub's
// lock and must only look the key up.
func (h *Hub) SetOperators(isOp func(keyID string) bool) []OperatorChange {
	var changed []OperatorChange
	var rooms []*room
	h.mu.Lock()
	h.isOp = isOp // Login asks it too: a login racing this reload keeps no revoked rights
	for _, s := range h.users {
		if s.keyID == "" {
			continue
		}
		if op := isOp(s.keyID); op != s.operator {
			s.operator = op
			if s.room == nil {
				continue // still logging in
			}
			s.room.roster.Store(nil) // Members shows operators
			rooms = append(rooms, s.room)
			changed = append(changed, OperatorChange{Name: s.name, KeyID: s.keyID, Operator: op})
		}
	}
	h.mu.Unlock()
	for _, r := range rooms {
		h.rosterRoom(r)
	}
	return changed
}
