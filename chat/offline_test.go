package chat_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/store"
)

// offlineHub is a hub with helperbot on st and the clock c.
func offlineHub(t *testing.T, st chat.Store, c *clock) *chat.Hub {
	t.Helper()
	h, err := chat.New(t.Context(), chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ownLogin logs name in with an SSH key of its own (so owning the name)
// and returns the session and the lines its login sent.
func ownLogin(t *testing.T, h *chat.Hub, name string) (*chat.Session, []string) {
	t.Helper()
	s, err := h.Login(t.Context(), name, chat.LoginOptions{Door: "ssh", Addr: "192.0.2.1:22",
		KeyID: "SHA256:" + strings.ToLower(name), Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatalf("Login(%q) with its key: %v", name, err)
	}
	return s, drainLines(s)
}

// protect logs name in with its key and out again: name is protected and
// offline.
func protect(t *testing.T, h *chat.Hub, name string) {
	t.Helper()
	s, _ := ownLogin(t, h, name)
	s.Close()
}

// stamp is the block's time stamp of when, as the server shows it.
func stamp(when time.Time) string { return when.Format("[2006-01-02 15:04] ") }

// A whisper and a message mentioning a protected name that is offline are
// kept, the whisper's sender is told, and the owner gets them at their
// next login, after "Logging in as" and before the join line, once.
func TestOfflineDelivered(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := offlineHub(t, store.NewMemory(0), c)
	ctx := t.Context()
	protect(t, h, "Mike")
	anna := login(t, h, "anna")
	drainLines(anna)

	at1 := c.Now()
	anna.Input(ctx, "/w MIKE are you there?")
	if got, want := drainLines(anna), []string{"<helperbot> " + chat.OfflineText("Mike") + "\n"}; !slices.Equal(got, want) {
		t.Fatalf("/w to Mike offline answered %q, want %q", got, want)
	}
	c.Advance(90 * time.Minute)
	at2 := c.Now()
	anna.Input(ctx, "has anyone seen mike, today?")
	anna.Input(ctx, "/me pokes mike")              // an action: not kept
	anna.Input(ctx, "mikes and mike_ are not him") // not the name as a whole word
	anna.Input(ctx, "/switch den")
	anna.Input(ctx, "@Mike: the den is open")

	mike, lines := ownLogin(t, h, "Mike")
	want := []string{
		"<system> Logging in as Mike\n",
		"<system> While you were away:\n",
		"<system> " + stamp(at1) + "anna whispered to you: are you there?\n",
		"<system> " + stamp(at2) + "#chat <anna> has anyone seen mike, today?\n",
		"<system> " + stamp(at2) + "#den <anna> @Mike: the den is open\n",
		"<system> End of messages.\n",
		"<helperbot> Mike has joined the chat room!\n",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Mike's login sent\n%q\nwant\n%q", lines, want)
	}
	mike.Close()
	if _, lines := ownLogin(t, h, "Mike"); len(lines) != 2 {
		t.Errorf("Mike's second login sent %q, want the login and join lines only: delivered once", lines)
	}
}

// Nothing is kept for a name online, a name nobody protects, a name in a
// room it may not read, or from a room where the sender is muted; a
// whisper to an unprotected offline name is not found as before.
func TestOfflineNotKept(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := offlineHub(t, store.NewMemory(0), c)
	ctx := t.Context()
	protect(t, h, "mike")
	admin := login(t, h, "admin")
	anna := login(t, h, "anna")
	admin.Input(ctx, "/switch vault")
	admin.Input(ctx, "/lock")
	admin.Input(ctx, "/invite anna")
	admin.Input(ctx, "/switch den")
	admin.Input(ctx, "/ban mike")
	anna.Input(ctx, "/w bob hello")
	if got, want := drainLines(anna), []string{"<helperbot> Could not find someone with that username.\n"}; !slices.Equal(got[len(got)-1:], want) {
		t.Errorf("/w to bob, unprotected, answered %q, want %q", got, want)
	}
	anna.Input(ctx, "/switch vault")
	anna.Input(ctx, "mike must not read the vault")
	anna.Input(ctx, "/switch den")
	anna.Input(ctx, "mike is banned from the den")
	admin.Input(ctx, "/mute anna")
	anna.Input(ctx, "mike, I am muted")

	if _, lines := ownLogin(t, h, "mike"); len(lines) != 2 {
		t.Errorf("mike's login sent %q, want the login and join lines only", lines)
	}
}

// At most MaxOffline messages are kept for a name: the newest.
func TestOfflineCap(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := offlineHub(t, store.NewMemory(0), c)
	ctx := t.Context()
	protect(t, h, "mike")
	anna := login(t, h, "anna")
	for i := range chat.MaxOffline + 5 {
		anna.Input(ctx, fmt.Sprintf("/w mike whisper %d", i))
	}
	_, lines := ownLogin(t, h, "mike")
	if got, want := len(lines), chat.MaxOffline+4; got != want {
		t.Fatalf("mike's login sent %d lines, want %d", got, want)
	}
	if first, want := lines[2], "anna whispered to you: whisper 5\n"; !strings.HasSuffix(first, want) {
		t.Errorf("the first kept is %q, want the 6th whisper (the newest 100 are kept)", first)
	}
}

// What a name ignores is left out of the block, and gone with it; so is
// what was kept longer than OfflineFor.
func TestOfflineIgnoredAndExpired(t *testing.T) {
	t.Parallel()
	c := newClock()
	h := offlineHub(t, store.NewMemory(0), c)
	ctx := t.Context()
	mike, _ := ownLogin(t, h, "mike")
	mike.Input(ctx, "/ignore troll")
	mike.Close()
	troll, anna := login(t, h, "troll"), login(t, h, "anna")
	anna.Input(ctx, "/w mike an old one")
	c.Advance(chat.OfflineFor)
	troll.Input(ctx, "/w mike spam")
	if got, want := drainLines(troll), "<helperbot> "+chat.OfflineText("mike")+"\n"; !slices.Contains(got, want) {
		t.Errorf("troll got %q, want %q: ignoring is not told", got, want)
	}
	troll.Input(ctx, "mike mike mike")
	anna.Input(ctx, "/w mike a new one")
	_, lines := ownLogin(t, h, "mike")
	if len(lines) != 5 || !strings.HasSuffix(lines[2], "anna whispered to you: a new one\n") {
		t.Errorf("mike's login sent %q, want anna's new whisper alone in the block", lines)
	}
}

// A name that lapsed and is bound by a new key does not get what was kept
// for its former owner.
func TestOfflineFormerOwner(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := store.NewMemory(0)
	h, err := chat.New(t.Context(), chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}, Now: c.Now, NameExpiry: 60 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	protect(t, h, "mike")
	anna := login(t, h, "anna")
	c.Advance(59 * 24 * time.Hour)
	anna.Input(t.Context(), "/w mike for the old mike")
	c.Advance(2 * 24 * time.Hour)
	s, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:another", Outbox: chat.NewOutbox(0)})
	if err != nil {
		t.Fatal(err)
	}
	if lines := drainLines(s); len(lines) != 2 {
		t.Errorf("the new mike's login sent %q, want the login and join lines only", lines)
	}
	if recs, _ := st.Offline(t.Context(), "mike"); len(recs) != 0 {
		t.Errorf("the store still keeps %d messages for the former owner", len(recs))
	}
}

// The words a message is looked through for names.
func TestEachWord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, want string }{
		{"hi mike", "hi|mike"},
		{"@Mike: look, mike's", "Mike|look|mike|s"},
		{"mike. j.doe, .x.", "mike.|mike|j.doe|j|doe|.x.|x"},
		{"mike.anna", "mike.anna|mike|anna"},
		{"no-dash_under", "no-dash_under"},
		{"  ", ""},
		{"ｍｉｋｅ!", "ｍｉｋｅ"},
	} {
		var got []string
		chat.EachWord(tc.text, func(w string) { got = append(got, w) })
		if strings.Join(got, "|") != tc.want {
			t.Errorf("EachWord(%q) = %q, want %q", tc.text, strings.Join(got, "|"), tc.want)
		}
	}
}

// FuzzEachWord: every word is a non-empty piece of the text made of the
// runes of names only.
func FuzzEachWord(f *testing.F) {
	for _, s := range []string{"hi mike", "@Mike: look, mike's", "mike. j.doe, .x.", "..", "ｍｉｋｅ!", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		chat.EachWord(text, func(w string) {
			if w == "" || !strings.Contains(text, w) {
				t.Fatalf("EachWord(%q) gave %q", text, w)
			}
			for _, r := range w {
				if !chat.NameRune(r) {
					t.Fatalf("EachWord(%q) gave %q, with %q", text, w, r)
				}
			}
		})
	})
}

// noDelete is a store whose DeleteOffline fails, as a crash right after
// the block was queued would leave it.
type noDelete struct{ *store.Memory }

func (noDelete) DeleteOffline(context.Context, string, int64) error { return errors.New("disk gone") }

// A block whose deletion fails is told again at the next login: kept
// messages are never lost between being queued and being deleted.
func TestOfflineToldAgainIfNotDeleted(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := noDelete{store.NewMemory(0)}
	h := offlineHub(t, st, c)
	protect(t, h, "mike")
	anna := login(t, h, "anna")
	anna.Input(t.Context(), "/w mike twice")
	for range 2 {
		mike, lines := ownLogin(t, h, "mike")
		if len(lines) != 5 || !strings.HasSuffix(lines[2], "anna whispered to you: twice\n") {
			t.Fatalf("mike's login sent %q, want the block with anna's whisper", lines)
		}
		mike.Close()
	}
}
