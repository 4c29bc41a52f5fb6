package chat

// One identity on both doors.
//
// A name is PROTECTED when an SSH key owns it (binding.go: the first key
// that used it, while the binding is in force) or a password was set for
// it with /password: Hub.Protected, and Hub.protectedName under Hub.mu.
//
// A session is PROVEN when it logged in with the key that owns its name,
// with a key that has just bound it, or with its name's password (a door
// checks it with Hub.CheckPassword and then logs in with
// LoginOptions.Proven), or when it set the first password of its name:
// Session.Proven. A login to a protected name that is not proven is
// refused (ErrNameOwned for a key's name, ErrWrongPassword for a
// password's), so a session holding a protected name is a proven one.
//
// Everything that belongs to the person rather than the connection asks
// these two and nothing else: an ignore list kept across logins
// (Session.protected, ignore.go), invitations told at the next login
// (Bot.Invite, rights.go), messages kept while offline, and the
// replacement of a ghost. A telnet user who set a password and an SSH user
// with the name's key are therefore the same person.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// MinPasswordLen is the shortest password /password takes, in characters.
const MinPasswordLen = 8

// WrongPasswordsPerAddr is how many wrong passwords one source address may
// give within passwordWindow; past that CheckPassword refuses without
// checking (ErrTooManyAttempts).
const WrongPasswordsPerAddr = 10

// PasswordEvery is how often one session may run /password's hash: each
// costs ~25 ms of a core and waits for a slot that password logins share,
// so a user at the flood limit could otherwise slow every password login.
// Sooner, /password gets the flood line (TextTooFast) and does nothing.
const PasswordEvery = 10 * time.Second

// passwordWindow is the sliding window of WrongPasswordsPerAddr.
const passwordWindow = time.Minute

// Texts of passwords (without the "<system> " tag).
const (
	TextPasswordPrompt  = "That username is protected, please enter its password:"
	TextWrongPassword   = "Wrong password."
	TextTooManyAttempts = "Too many attempts, please try again later."
	textPasswordSet     = "Your name is now protected by a password."
	textPasswordChanged = "Your password has been changed."
	textPasswordShort   = "Please specify a password of at least 8 characters."
	textPasswordOwner   = "Only the owner of this name may change its password."
)

// Errors of passwords.
var (
	// ErrWrongPassword: the password given is not the name's, or the name
	// has none; also a login to a name with a password that was not proven.
	ErrWrongPassword = errors.New("wrong password")
	// ErrTooManyAttempts: the address gave WrongPasswordsPerAddr wrong
	// passwords within a minute; the password was not checked.
	ErrTooManyAttempts = errors.New("too many wrong passwords from the address")
)

// Telnet negotiation around a password: the server will echo (so the
// client hides what is typed), then will not any more.
var (
	telnetEchoOff = []byte{0xff, 0xfb, 0x01} // IAC WILL ECHO
	telnetEchoOn  = []byte{0xff, 0xfc, 0x01} // IAC WONT ECHO
)

// PasswordRecord is the password of a protected name, as stored.
type PasswordRecord struct {
	Name string // the name as it was when the password was set
	Hash string // the salted slow hash (argon2id, PHC string form), never the password
	Time time.Time
}

// PasswordStore keeps the names' passwords (part of Store).
type PasswordStore interface {
	// Passwords returns every name's password record.
	Passwords(ctx context.Context) ([]PasswordRecord, error)
	// SavePassword records a name's password, replacing the record of a
	// name that folds the same; it returns once the record is durable.
	SavePassword(ctx context.Context, r PasswordRecord) error
}

// hashParams are argon2id's costs. The defaults (19 MiB, two passes, one
// lane: OWASP's minimum for argon2id) take ~25 ms of one core on the test
// machine (BenchmarkPasswordHash), under the ~50 ms a login may cost.
type hashParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
}

var defaultHash = hashParams{memory: 19 * 1024, time: 2, threads: 1}

// Bounds of what parseHash accepts, so that a damaged hash in the store
// cannot make a check allocate or compute without end.
const (
	maxHashMemory = 256 * 1024 // KiB
	maxHashTime   = 16
	saltLen       = 16
	keyLen        = 32
)

// hashPassword returns the PHC string of password under p with a new
// random salt: "$argon2id$v=19$m=19456,t=2,p=1$SALT$KEY", base64 without
// padding.
func hashPassword(password string, p hashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

// errBadHash: a stored hash this package cannot read.
var errBadHash = errors.New("unreadable password hash")

// parseHash reads a PHC string made by hashPassword.
func parseHash(s string) (p hashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	var m, t, th uint64
	for i, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || i > 2 || k != "mtp"[i:i+1] {
			return p, nil, nil, errBadHash
		}
		switch i {
		case 0:
			m = n
		case 1:
			t = n
		case 2:
			th = n
		}
	}
	if m < 8*th || m > maxHashMemory || t < 1 || t > maxHashTime || th < 1 || th > 255 {
		return p, nil, nil, errBadHash
	}
	salt, err1 := b64.Strict().DecodeString(parts[4])
	key, err2 := b64.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return hashParams{memory: uint32(m), time: uint32(t), threads: uint8(th)}, salt, key, nil
}

// matches reports, in constant time, whether password hashes to hash.
func matches(hash, password string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// passwords is a hub's password state: the hashes of the names that have
// one, and what bounds their cost.
type passwords struct {
	// slots holds a token for each hash running; its size bounds how many
	// run at once (half the CPUs, at least one), and so the CPU and memory
	// a flood of logins can take. Nothing is hashed under Hub.mu.
	slots  chan struct{}
	params hashParams

	// Guarded by Hub.mu.
	hashes map[string]string // folded name → its hash
	shown  map[string]string // folded name → the name as it was protected
	like   lookalikes        // skeletons of the names in hashes

	// save makes /password's record in memory and in the store, and their
	// undoing, one at a time (taken before Hub.mu, held across the store's
	// SavePassword).
	save sync.Mutex

	mu    sync.Mutex
	wrong recentTimes // wrong passwords per source address within passwordWindow
}

func newPasswords() *passwords {
	return &passwords{
		slots:  make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		params: defaultHash,
		hashes: map[string]string{},
		shown:  map[string]string{},
		like:   lookalikes{},
		wrong:  newRecentTimesIn(WrongPasswordsPerAddr, passwordWindow),
	}
}

// slow runs f, a hash, once a slot is free; ctx bounds the wait.
func (pw *passwords) slow(ctx context.Context, f func()) error {
	select {
	case pw.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-pw.slots }()
	f()
	return nil
}

// has reports whether the name whose folded form is key has a password.
// The caller holds Hub.mu.
func (pw *passwords) has(key string) bool { _, ok := pw.hashes[key]; return ok }

// set records hash as the password of name, whose folded form is key.
// The caller holds Hub.mu for writing or owns the hub.
func (pw *passwords) set(key, name, hash string) {
	if !pw.has(key) {
		pw.like.add(skeletons(key), key)
	}
	pw.hashes[key] = hash
	pw.shown[key] = name
}

// unset forgets the password of the name whose folded form is key.
// The caller holds Hub.mu for writing.
func (pw *passwords) unset(key string) {
	if pw.has(key) {
		pw.like.remove(skeletons(key), key)
	}
	delete(pw.hashes, key)
	delete(pw.shown, key)
}

// loadPasswords loads the passwords of the store; of two names that fold
// together, the first is kept.
func (h *Hub) loadPasswords(ctx context.Context) error {
	recs, err := h.store.Passwords(ctx)
	if err != nil {
		return fmt.Errorf("load passwords: %w", err)
	}
	for _, r := range recs {
		key := Fold(Normalize(r.Name))
		if h.pw.has(key) {
			h.log.Warn("password not loaded: same name as an earlier one", "user", LogName(r.Name))
			continue
		}
		h.pw.set(key, r.Name, r.Hash)
	}
	return nil
}

// protectedName reports whether the name whose folded form is key is
// protected at now: an SSH key owns it (a binding in force) or it has a
// password; and returns it as its owner logged in with it or protected
// it. This is the one test of "protected" (see the top of password.go),
// used by logins, ignore lists, invitations and offline delivery. The
// caller holds h.mu.
func (h *Hub) protectedName(key string, now time.Time) (string, bool) {
	if rec, ok := h.owners[key]; ok && !h.lapsed(rec, now) {
		return rec.Name, true
	}
	if h.pw.has(key) {
		return h.pw.shown[key], true
	}
	return "", false
}

// Protected reports whether the name called name is protected: owned by
// an SSH key or with a password. Safe from any goroutine.
func (h *Hub) Protected(name string) bool {
	_, key, _, err := loginName(name)
	if err != nil {
		return false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.protectedName(key, h.now())
	return ok
}

// Protection returns how the name called name is protected: the
// fingerprint of the SSH key that owns it ("" for none) and whether it has
// a password. The SSH door asks it to know which keys to accept and whom
// to ask for a password. Safe from any goroutine.
func (h *Hub) Protection(name string) (keyID string, password bool) {
	_, key, _, err := loginName(name)
	if err != nil {
		return "", false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if rec, ok := h.owners[key]; ok && !h.lapsed(rec, h.now()) {
		keyID = rec.KeyID
	}
	return keyID, h.pw.has(key)
}

// Proven reports whether the session proved its name: logged in with the
// key that owns it or with its password, or set its first password (see
// the top of password.go). Safe from any goroutine.
func (s *Session) Proven() bool { return s.proven.Load() }

// CheckPassword checks password (sanitised as a typed line is) against
// the password of the name called name, for a login from addr. It returns
// nil if it is right; ErrWrongPassword if it is wrong or the name has
// none; ErrTooManyAttempts, without checking, if addr gave
// WrongPasswordsPerAddr wrong passwords within a minute; or ctx's error if
// ctx ended while the check waited for its turn. A wrong password counts
// against addr. The hash runs off every lock, one of a bounded number at
// a time. The password is never logged. Safe from any goroutine.
func (h *Hub) CheckPassword(ctx context.Context, name, password, addr string) error {
	// The check counts against addr from the start, as if wrong, and is
	// taken back if right: checks in flight at once (one per connection,
	// many connections) cannot all pass the limit before any is counted.
	host, at := addrKey(addr), h.now()
	h.pw.mu.Lock()
	limited := h.pw.wrong.full(host, at)
	if !limited {
		h.pw.wrong.add(host, at)
	}
	h.pw.mu.Unlock()
	if limited {
		h.log.Info("password not checked", "user", LogName(name), "addr", addr, "reason", "too many wrong passwords from the address")
		h.stats.countRefusal(ErrTooManyAttempts)
		return ErrTooManyAttempts
	}
	uncount := func() {
		h.pw.mu.Lock()
		h.pw.wrong.remove(host, at)
		h.pw.mu.Unlock()
	}
	hash := ""
	if _, key, _, err := loginName(name); err == nil {
		h.mu.RLock()
		hash = h.pw.hashes[key]
		h.mu.RUnlock()
	}
	ok := false
	if hash != "" {
		var err error
		if werr := h.pw.slow(ctx, func() { ok, err = matches(hash, Sanitize(password)) }); werr != nil {
			uncount() // not checked
			return werr
		}
		if err != nil {
			h.log.Error("check password", "user", LogName(name), "err", err)
		}
	}
	if ok {
		uncount()
		return nil
	}
	h.log.Info("wrong password", "user", LogName(name), "addr", addr)
	h.stats.countRefusal(ErrWrongPassword)
	return ErrWrongPassword
}

// setPassword runs /password NEW: NEW, the rest of the line, becomes the
// password of the user's name. Allowed while the name is not protected,
// or to a session that proved it; the session is then proven. The hash is
// made off every lock. Whether it is allowed is asked again, with the
// session still online, under the write lock that records the hash, so a
// session that left meanwhile (its name maybe taken by another login)
// records nothing; the store then gets it, and a failure there takes it
// back. pw.save keeps the store and memory in one order.
func (s *Session) setPassword(ctx context.Context, password string) {
	h := s.hub
	if RuneLen(password) < MinPasswordLen {
		s.Notify(textPasswordShort)
		return
	}
	h.mu.RLock()
	allowed := s.maySetPassword()
	h.mu.RUnlock()
	if !allowed {
		s.Notify(textPasswordOwner)
		return
	}
	now := h.now()
	if !s.passwordAt.IsZero() && now.Sub(s.passwordAt) < PasswordEvery {
		s.Notify(TextTooFast)
		return
	}
	s.passwordAt = now
	var hash string
	var err error
	if werr := h.pw.slow(ctx, func() { hash, err = hashPassword(password, h.pw.params) }); werr != nil {
		return // the user left meanwhile
	}
	if err != nil {
		s.passwordFailed(err)
		return
	}
	h.pw.save.Lock()
	defer h.pw.save.Unlock()
	h.mu.Lock()
	online, allowed := !s.closed, s.maySetPassword()
	oldHash, had := h.pw.hashes[s.key]
	oldShown := h.pw.shown[s.key]
	first := false
	if online && allowed {
		h.pw.set(s.key, s.name, hash)
		first = !s.proven.Swap(true)
	}
	h.mu.Unlock()
	switch {
	case !online:
		return // nobody to tell; the name may be another's by now
	case !allowed:
		s.Notify(textPasswordOwner)
		return
	}
	if err := h.savePassword(ctx, PasswordRecord{Name: s.name, Hash: hash, Time: h.now()}, !had); err != nil {
		h.mu.Lock()
		if had {
			h.pw.set(s.key, oldShown, oldHash)
		} else {
			h.pw.unset(s.key)
		}
		if first {
			s.proven.Store(false)
		}
		h.mu.Unlock()
		s.passwordFailed(err)
		return
	}
	h.audit(ctx, s, AuditRecord{Action: AuditPassword, Target: s.name, Args: either(had, "changed", "set")})
	if first {
		h.keepIgnored(ctx, s)
	}
	if had {
		s.Notify(textPasswordChanged)
		return
	}
	s.Notify(textPasswordSet)
}

// maySetPassword reports whether s may set its name's password: the name
// is not protected, or s proved it. The caller holds Hub.mu.
func (s *Session) maySetPassword() bool {
	_, protected := s.hub.protectedName(s.key, s.hub.now())
	return s.proven.Load() || !protected
}

// passwordFailed logs why /password failed and tells the user.
func (s *Session) passwordFailed(err error) {
	s.hub.log.Error("set password", "user", LogName(s.name), "err", err)
	s.Notify("Could not set your password, please try again.")
}

// keepIgnored stores the ignore list of s, whose name has just become
// protected, in place of any a former owner of the name left, so that it
// is kept across logins from now on. A failure is logged; the list stays
// in memory.
func (h *Hub) keepIgnored(ctx context.Context, s *Session) {
	err := h.store.DeleteIgnores(ctx, s.name)
	if l := s.ignored.Load(); err == nil && l != nil {
		for _, name := range l.names {
			if err = h.store.SaveIgnore(ctx, IgnoreRecord{Name: s.name, Ignored: name, Time: h.now()}); err != nil {
				break
			}
		}
	}
	if err != nil {
		h.log.Error("keep the ignore list of a newly protected name", "user", LogName(s.name), "err", err)
	}
}

// RawEvent returns an event whose line is b as it is, for a line door's
// own bytes (the telnet negotiation around a password) queued in order
// with the lines. It is a KindSystem event without text: a screen shows
// nothing for it.
func RawEvent(b []byte) *Event {
	e := &Event{Kind: KindSystem, From: SystemName, Time: time.Now()}
	e.once.Do(func() { e.line = b })
	return e
}

// PasswordPrompt returns what the telnet door sends a protected name
// before its password: the prompt line, then IAC WILL ECHO, so that the
// client hides what is typed.
func PasswordPrompt() *Event {
	return RawEvent(append([]byte("<"+SystemName+"> "+TextPasswordPrompt+"\n"), telnetEchoOff...))
}

// PasswordTyped returns what the telnet door sends once the password line
// has come: IAC WONT ECHO, so that the client shows what is typed again.
func PasswordTyped() *Event { return RawEvent(telnetEchoOn) }
