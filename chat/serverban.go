package chat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// ErrServerBanned refuses a login (or a connection) by a name, SSH key or
// address banned from the whole server (/gban). RefusalText words it.
var ErrServerBanned = errors.New("banned from the server")

// TextServerBanned is what a user banned from the server is told, online
// or when they come back; the connection then closes.
const TextServerBanned = "You've been banned from this server."

// ServerBanRecord is one ban from the whole server, made by an operator
// with /gban: the name, and the SSH key and the address it was known by.
type ServerBanRecord struct {
	Name  string    // the banned name as shown (as logged in if they were online)
	KeyID string    // the SSH key's fingerprint, "" if unknown
	Addr  string    // the source address (a host, no port), "" if unknown
	By    string    // the operator who banned
	Until time.Time // when the ban ends; zero for good
	Time  time.Time // when it was made
}

// activeAt reports whether the ban holds at now.
func (b ServerBanRecord) activeAt(now time.Time) bool {
	return b.Until.IsZero() || now.Before(b.Until)
}

// serverBan is a ServerBanRecord with what the checks compare, computed once.
type serverBan struct {
	ServerBanRecord
	key  string      // Fold(Name)
	sks  skeletonSet // skeletons(key): a look-alike of the name is banned too
	addr string      // addrKey(Addr): an IPv6 address bans its /64; "" if none
}

func newServerBan(rec ServerBanRecord) serverBan {
	key := Fold(rec.Name)
	b := serverBan{ServerBanRecord: rec, key: key, sks: skeletons(key)}
	if rec.Addr != "" {
		b.addr = addrKey(rec.Addr)
	}
	return b
}

// likeName reports whether the ban's name is the name whose key is key and
// skeletons sks, or looks like it.
func (b *serverBan) likeName(key string, sks skeletonSet) bool {
	if key == b.key {
		return true
	}
	for _, a := range sks {
		for _, c := range b.sks {
			if a != "" && a == c {
				return true
			}
		}
	}
	return false
}

// serverBanOf returns the index in h.gbans of a ban in force at now of the
// name whose key is key (skipped if ""), of the SSH key keyID (skipped if
// "") or of the address addr (host or host:port, skipped if ""), or -1.
// The caller holds h.mu.
func (h *Hub) serverBanOf(key string, sks skeletonSet, keyID, addr string, now time.Time) int {
	if len(h.gbans) == 0 {
		return -1
	}
	if addr != "" {
		addr = addrKey(addr)
	}
	for i := range h.gbans {
		b := &h.gbans[i]
		if !b.activeAt(now) {
			continue
		}
		if (key != "" && b.likeName(key, sks)) || (keyID != "" && b.KeyID == keyID) || (addr != "" && b.addr == addr) {
			return i
		}
	}
	return -1
}

// ServerBanned reports whether a connection from addr (host:port), logging
// in as name with the SSH key keyID, is banned from the server: by its
// name or a look-alike, its key or its address. Empty arguments are not
// checked: the telnet door asks with the address alone, right after
// accepting. Safe from any goroutine.
func (h *Hub) ServerBanned(name, keyID, addr string) bool {
	key, sks := "", skeletonSet{}
	if name != "" {
		if _, k, s, err := loginName(name); err == nil {
			key, sks = k, s
		}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.serverBanOf(key, sks, keyID, addr, h.now()) >= 0
}

// loadServerBans keeps the server bans of a snapshot that are still in
// force, and removes the others from the store. For New.
func (h *Hub) loadServerBans(ctx context.Context, recs []ServerBanRecord) {
	now := h.now()
	for _, rec := range recs {
		if rec.activeAt(now) {
			h.gbans = append(h.gbans, newServerBan(rec))
			continue
		}
		if err := h.store.DeleteServerBan(ctx, rec.Name); err != nil {
			h.log.Warn("remove an ended server ban", "user", LogName(rec.Name), "err", err)
		}
	}
}

// ServerBan bans the user called name from the whole server, with the SSH
// key and the address they are online with, for d (0: for good); by is
// the operator who asks. If they are offline, the name is banned with the
// key that owns it, if any. A ban of the same name (or a look-alike) is
// replaced, its key and address kept where the new one knows none. Once the store has it, every later login by that name, key or
// address is refused with ErrServerBanned; the banned user, if online, is
// told TextServerBanned and logged out, their room gets the leave lines.
// A server operator (LoginOptions.Operator) is never refused by a server
// ban: one who bans a troll on their own address keeps their way in. A
// name nobody could log in with returns ErrNameInvalid.
func (b *Bot) ServerBan(ctx context.Context, name, by string, d time.Duration) (ServerBanRecord, error) {
	h := b.hub
	typed := name
	name, key, sks, err := loginName(name)
	if err != nil || h.isReserved(key, sks) {
		return ServerBanRecord{}, fmt.Errorf("server ban %q: %w", typed, ErrNameInvalid)
	}
	now := h.now()
	rec := ServerBanRecord{Name: name, By: by, Time: now}
	if d > 0 {
		rec.Until = now.Add(d)
	}
	var far WhoisInfo // online on another node, with the key and address banned with them (slice 5c)
	if h.cluster != nil && h.find(name) == nil {
		far, _ = h.remoteWhois(name, true)
	}
	h.mu.RLock()
	s := h.users[key]
	if s != nil && s.room != nil {
		rec.Name, rec.KeyID, rec.Addr = s.name, s.keyID, hostOf(s.addr)
	} else if far.Name != "" {
		rec.Name, rec.KeyID, rec.Addr = far.Name, far.KeyID, far.Addr
	} else if owner, ok := h.owners[key]; ok {
		rec.KeyID = owner.KeyID
	}
	old := slices.IndexFunc(h.gbans, func(g serverBan) bool { return g.likeName(key, sks) })
	var oldName string
	if old >= 0 {
		// What the ban replaced knew of the troll stays banned: a /gban
		// again (to change its time) once they are offline, or of a
		// look-alike, does not lift their key or address.
		g := h.gbans[old]
		oldName = g.Name
		if rec.KeyID == "" && g.activeAt(now) {
			rec.KeyID = g.KeyID
		}
		if rec.Addr == "" && g.activeAt(now) {
			rec.Addr = g.Addr
		}
	}
	h.mu.RUnlock()
	if err := h.saveServerBan(ctx, rec); err != nil {
		return ServerBanRecord{}, fmt.Errorf("server ban %s: %w: %w", name, ErrStore, err)
	}
	kept := "" // a look-alike's ban the store could not drop, kept in memory as on disk
	if old >= 0 && Fold(oldName) != key {
		// A look-alike's ban is replaced by this one, once this one is kept.
		if err := h.deleteServerBan(ctx, oldName); err != nil {
			h.log.Warn("drop a server ban replaced by a look-alike's, kept", "user", LogName(oldName), "err", err)
			kept = Fold(oldName)
		}
	}
	h.mu.Lock()
	// The ban replaced goes, and those that ended (their rows go at the next start).
	h.gbans = slices.DeleteFunc(h.gbans, func(g serverBan) bool {
		return (g.likeName(key, sks) && g.key != kept) || !g.activeAt(now)
	})
	h.gbans = append(h.gbans, newServerBan(rec))
	s = h.users[key]
	if s != nil && s.room == nil {
		s = nil // still logging in: Login's own check, after the bind, refuses it
	}
	h.mu.Unlock()
	b.audit(ctx, by, AuditRecord{Action: AuditServerBan, Target: rec.Name, Args: spanText(d)}, "key", rec.KeyID, "addr", rec.Addr)
	if s != nil {
		s.dropWith(TextServerBanned)
	} else if h.cluster != nil { // online on another node, maybe: theirs disconnects them (slice 5c)
		_, _ = h.remote(RemoteRequest{Verb: VerbDisconnect, Target: rec.Name, From: by, Text: TextServerBanned})
	}
	return rec, nil
}

// ServerUnban lifts the server ban of the user called name (or of a
// look-alike of it), with the key and address banned with it, and returns
// the name as banned, or ErrNotBanned.
func (b *Bot) ServerUnban(ctx context.Context, name, by string) (string, error) {
	h := b.hub
	key := Fold(Normalize(name))
	sks := skeletons(key)
	now := h.now()
	h.mu.RLock()
	i := slices.IndexFunc(h.gbans, func(g serverBan) bool { return g.key == key && g.activeAt(now) })
	if i < 0 {
		i = slices.IndexFunc(h.gbans, func(g serverBan) bool { return g.likeName(key, sks) && g.activeAt(now) })
	}
	var rec ServerBanRecord
	if i >= 0 {
		rec = h.gbans[i].ServerBanRecord
	}
	h.mu.RUnlock()
	if i < 0 {
		return "", ErrNotBanned
	}
	if err := h.deleteServerBan(ctx, rec.Name); err != nil {
		return "", fmt.Errorf("server unban %s: %w: %w", rec.Name, ErrStore, err)
	}
	h.mu.Lock()
	h.gbans = slices.DeleteFunc(h.gbans, func(g serverBan) bool { return g.key == Fold(rec.Name) })
	h.mu.Unlock()
	b.audit(ctx, by, AuditRecord{Action: AuditServerUnban, Target: rec.Name})
	return rec.Name, nil
}

// ServerBans returns the server bans in force, in the order they were made.
func (b *Bot) ServerBans() []ServerBanRecord {
	h := b.hub
	now := h.now()
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []ServerBanRecord
	for _, g := range h.gbans {
		if g.activeAt(now) {
			out = append(out, g.ServerBanRecord)
		}
	}
	return out
}

// hostOf returns the host of addr (host:port), or addr if it has no port.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
