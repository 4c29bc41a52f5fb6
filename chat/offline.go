package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Offline delivery (PROTOCOL.md, "Offline delivery"): the whispers and
// the room messages that mention a protected name while nobody is logged
// in with it are kept, and told at its next login that proves the name.
const (
	// MaxOffline is how many messages are kept for one name: past it the
	// oldest go, so that what was said last is never the one lost, and the
	// sender of a whisper is always told the truth.
	MaxOffline = 100
	// OfflineFor is how long a kept message waits for its reader.
	OfflineFor = 30 * 24 * time.Hour
)

// Lines of offline delivery (without their "<system> " or plugin tag).
const (
	textAwayStart = "While you were away:"
	textAwayEnd   = "End of messages."
)

// OfflineText is the line a whisper's sender gets when the whisper was
// kept for NAME, offline (after the plugin's tag).
func OfflineText(name string) string {
	return name + " is offline; they will get your message when they log in."
}

// OfflineRecord is one message kept for a protected name that was offline:
// a whisper (Room "") or a room message that mentioned the name.
type OfflineRecord struct {
	ID   int64  // the store's, increasing in the order stored; 0 before it is stored
	Name string // the name it is kept for, as its owner logged in
	From string // the author, as they logged in
	Room string // the room it was said in, "" for a whisper
	Text string
	Time time.Time
}

// OfflineStore keeps the messages of offline delivery, by the folded name
// they are kept for (offline.go).
type OfflineStore interface {
	// SaveOffline keeps r, durable when it returns, and drops the oldest
	// of r.Name's past MaxOffline.
	SaveOffline(ctx context.Context, r OfflineRecord) error
	// QueueOffline is SaveOffline without waiting: like AppendMessage it
	// never blocks, and drops r (counted) when the queue is full.
	QueueOffline(r OfflineRecord)
	// Offline returns what is kept for name, oldest first (by Time),
	// including all that was queued before the call.
	Offline(ctx context.Context, name string) ([]OfflineRecord, error)
	// DeleteOffline removes name's records whose ID is at most upTo (the
	// highest ID Offline returned: none higher is stored meanwhile).
	DeleteOffline(ctx context.Context, name string, upTo int64) error
	// PruneOffline removes every record kept before before.
	PruneOffline(ctx context.Context, before time.Time) error
}

// anyProtected reports whether protectedName may hold for any name: while
// it does not, a message is not even looked at for mentions. The caller
// holds h.mu.
func (h *Hub) anyProtected() bool { return len(h.owners) > 0 || len(h.pw.hashes) > 0 }

// absent returns the name whose folded form is key as its owner logged in
// if it is protected and nobody is logged in with it (a login on its way
// holds it already: what it does not see it will get live), so that what
// is meant for it is kept. The caller holds h.mu.
func (h *Hub) absent(key string, now time.Time) (string, bool) {
	name, ok := h.protectedName(key, now)
	return name, ok && h.users[key] == nil
}

// keepMentions keeps m, said by s in r, for every protected name it
// mentions that is offline and may read r (not banned from it, and r is
// open or they may enter it locked): a name as a whole word (a run of the
// runes names are made of, also split at dots), compared with Fold. The
// store only queues it (QueueOffline). The caller holds h.mu (read), not
// r.mu: a login, which takes h.mu for writing, reads what is kept after
// this has queued it. Without a protected name it costs one length of a
// map; else one map look-up per word, without allocating for ASCII words.
func (h *Hub) keepMentions(r *room, m Message) {
	if !h.anyProtected() {
		return
	}
	var seen [4]string // the names kept for, usually none
	keptFor := seen[:0]
	eachWord(m.Text, func(word string) {
		var buf [MaxNameLen]byte
		if k, ascii := foldASCIIInto(&buf, word); ascii {
			if _, ok := h.absent(string(k), m.Time); !ok {
				return // the common case: no allocation
			}
		} else if utf8.RuneCountInString(word) > 4*MaxNameLen {
			return // far too long to be a name
		}
		key := Fold(word)
		name, ok := h.absent(key, m.Time)
		if !ok || slices.Contains(keptFor, key) || !mayRead(r, key, m.Time) {
			return
		}
		keptFor = append(keptFor, key)
		h.offline().QueueOffline(OfflineRecord{Name: name, From: m.From, Room: m.Room, Text: m.Text, Time: m.Time})
	})
}

// mayRead reports whether the offline user whose folded name is key may
// read what is said in r at now: they could /switch to it. The caller
// holds h.mu.
func mayRead(r *room, key string, now time.Time) bool {
	if len(r.bans.recs) > 0 { // else no need for the name's skeletons
		if _, banned := r.keepsOut(&Session{key: key, sks: skeletons(key)}, now); banned {
			return false
		}
	}
	return r.mayEnterAs(key, false)
}

// eachWord calls f with each word of text that may be a name: each run of
// the runes names are made of (letters, marks, digits, '-', '_', '.'),
// and, for a run with a dot, the run without its leading and trailing
// dots and each part between its dots, so that "mike." and "mike.anna"
// mention mike (as the SSH UI marks them) and "j.doe," mentions j.doe.
func eachWord(text string, f func(word string)) {
	start := -1
	for i, c := range text {
		if nameRune(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			eachPart(text[start:i], f)
			start = -1
		}
	}
	if start >= 0 {
		eachPart(text[start:], f)
	}
}

// eachPart is eachWord for one run of name runes.
func eachPart(run string, f func(word string)) {
	f(run)
	if strings.IndexByte(run, '.') < 0 {
		return
	}
	t := strings.Trim(run, ".")
	if t != run && t != "" {
		f(t)
	}
	if strings.IndexByte(t, '.') < 0 {
		return
	}
	for part := range strings.SplitSeq(t, ".") {
		if part != "" {
			f(part)
		}
	}
}

// foldASCIIInto writes Fold(word) into buf for an ASCII word of at most
// MaxNameLen bytes and returns it; ascii is false for any other word,
// which needs Fold itself (a longer ASCII word is no name: it returns an
// empty key, found nowhere).
func foldASCIIInto(buf *[MaxNameLen]byte, word string) (key []byte, ascii bool) {
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			return nil, false
		}
	}
	if len(word) > MaxNameLen {
		return nil, true
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(word)], true
}

// Absent reports whether the user called name is offline and protected,
// so that a whisper to them is kept (KeepWhisper), and returns the name as
// its owner logged in.
func (b *Bot) Absent(name string) (string, bool) {
	h := b.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.absent(Fold(Sanitize(name)), h.now())
}

// KeepWhisper keeps text, whispered by the user from to the user called
// to, for to's next login: to must be protected and offline (Absent). It
// returns to's name as its owner logged in, once the whisper is durable,
// or ErrNotFound if to is not protected or is online (a whisper is then
// delivered, or refused, as Whisper does), or an error wrapping ErrStore.
// Whether to ignores from is not known until they log in: the whisper is
// kept all the same, and left out then.
func (b *Bot) KeepWhisper(ctx context.Context, from, to, text string) (string, error) {
	h := b.hub
	now := h.now()
	h.mu.RLock()
	name, ok := h.absent(Fold(Sanitize(to)), now)
	h.mu.RUnlock()
	if !ok {
		return "", ErrNotFound
	}
	// Written synchronously: the sender is told it was kept only once it
	// is, and only their own command waits for it. A login of the name
	// that reads what is kept between the look above and this write sees
	// it at the next login instead.
	rec := OfflineRecord{Name: name, From: from, Text: text, Time: now}
	if err := h.offline().SaveOffline(ctx, rec); err != nil {
		return "", fmt.Errorf("keep a whisper for %s: %w: %w", name, ErrStore, err)
	}
	h.log.Debug("whisper kept", "user", LogName(name), "from", LogName(from), "plugin", b.name)
	return name, nil
}

// kept is what a login is told of offline delivery: the block's lines and
// the last record they cover, deleted once they are queued.
type kept struct {
	name  string
	lines []*Event
	upTo  int64
}

// offlineFor reads what is kept for the name logging in, with ign, the
// ignore list it logs in with. proven says the name was protected before
// this login (protectedName): a login that goes on has proved it, and gets
// the block to push after its other lines (nothing if nothing is kept, or
// all of it is expired or from names it ignores). bound says this login
// made the name protected (its key bound it): what is kept, for a former
// owner whose protection lapsed, is deleted, not told. Other logins read
// nothing. It runs with no lock held, after the login holds the name, so
// that nothing more is kept for it meanwhile. A store that cannot be read
// is logged and the login goes on: what is kept waits for the next one.
func (h *Hub) offlineFor(ctx context.Context, name string, proven, bound bool, ign *ignoreList) kept {
	if !proven && !bound {
		return kept{}
	}
	recs, err := h.offline().Offline(ctx, name)
	if err != nil {
		h.log.Error("read messages kept", "user", LogName(name), "err", err)
		return kept{}
	}
	if len(recs) == 0 {
		return kept{}
	}
	k := kept{name: name}
	for _, r := range recs {
		k.upTo = max(k.upTo, r.ID)
	}
	if !proven {
		h.log.Info("messages kept for a former owner dropped", "user", LogName(name), "count", len(recs))
		h.deliveredOffline(ctx, k)
		return kept{}
	}
	now := h.now()
	recs = recs[max(0, len(recs)-MaxOffline):]
	for _, r := range recs {
		if now.Sub(r.Time) >= OfflineFor || ign.said(r.From) {
			continue
		}
		if len(k.lines) == 0 {
			k.lines = append(k.lines, h.systemEvent(textAwayStart))
		}
		k.lines = append(k.lines, h.systemEvent(offlineLine(r)))
	}
	if len(k.lines) > 0 {
		k.lines = append(k.lines, h.systemEvent(textAwayEnd))
	}
	return k
}

// offlineLine is the line of the block for r (after "<system> ").
func offlineLine(r OfflineRecord) string {
	stamp := r.Time.Format("[2006-01-02 15:04] ")
	if r.Room == "" {
		return stamp + r.From + " whispered to you: " + r.Text
	}
	return stamp + "#" + r.Room + " <" + r.From + "> " + r.Text
}

// push queues the block on s; the caller holds h.mu and runs w after.
func (k kept) push(s *Session, w *Wakes) {
	for _, e := range k.lines {
		s.out.PushHeld(e, w)
	}
}

// deliveredOffline deletes what k covered, once it is queued for its
// reader (or dropped): delivered once. A crash between the two, or a store
// that cannot delete, tells it again at the next login rather than lose
// it. The deletion is not cancelled with ctx: a user who hangs up at once
// has had it all the same.
func (h *Hub) deliveredOffline(ctx context.Context, k kept) {
	if k.upTo == 0 {
		return
	}
	if err := h.offline().DeleteOffline(context.WithoutCancel(ctx), k.name, k.upTo); err != nil {
		h.log.Error("delete messages delivered", "user", LogName(k.name), "err", err)
	}
}

// pruneOffline deletes what was kept longer than OfflineFor, at New: a
// name that never logs in again keeps nothing past it.
func (h *Hub) pruneOffline(ctx context.Context) {
	if err := h.offline().PruneOffline(ctx, h.now().Add(-OfflineFor)); err != nil {
		h.log.Warn("prune messages kept", "err", err)
	}
}
