package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// saveBanFails is a memory store that cannot keep a room ban.
type saveBanFails struct{ *store.Memory }

func (saveBanFails) SaveBan(context.Context, chat.BanRecord) error { return errors.New("disk full") }

// auditLines returns the store's audit log as "ACTION TARGET ROOM ARGS"
// lines, and fails if a record's actor is not root with its key and
// address.
func auditLines(t *testing.T, st *store.Memory) []string {
	t.Helper()
	var out []string
	for _, r := range st.Audit() {
		if r.Actor != "root" || r.ActorKey != "SHA256:op" || r.ActorAddr != "10.0.0.1:1000" || r.Time.IsZero() {
			t.Errorf("record %+v: want root with SHA256:op from 10.0.0.1:1000, and a time", r)
		}
		out = append(out, strings.Join([]string{r.Action, r.Target, r.Room, r.Args}, "|"))
	}
	return out
}

// TestAuditEveryAct: each moderation act that takes effect is recorded
// once, with its actor's name, key and address, its target, room and
// arguments (a duration, a topic; a password never); acts refused or
// changing nothing, and acts the store could not keep, are not.
func TestAuditEveryAct(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	root := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1000", true))
	troll := loginWith(t, h, "troll", opts("SHA256:troll", "10.0.0.2:1", false))
	loginWith(t, h, "erin", opts("", "10.0.0.3:1", false))
	root.Input(t.Context(), "/switch Den")
	troll.Input(t.Context(), "/switch Den")
	for _, line := range []string{
		"/topic Hello there", "/topic -",
		"/op erin", "/op erin", "/ban erin", "/deop erin", "/deop erin",
		"/lock", "/invite erin", "/invite erin", "/unlock", "/invite erin",
		"/kick troll", "/kick troll",
		"/ban troll 10m", "/ban troll 10m", "/unban troll", "/unban troll",
		"/mute troll 90m", "/unmute troll", "/unmute troll",
		"/gban troll2 1h", "/gunban troll2", "/gunban troll2",
		"/password hunter2hunter2",
	} {
		root.Input(t.Context(), line)
	}
	want := []string{
		"topic||Den|Hello there", "clear-topic||Den|",
		"op|erin|Den|", "deop|erin|Den|",
		"lock||Den|", "invite|erin|Den|", "unlock||Den|",
		"kick|troll|Den|",
		"ban|troll|Den|for 10m", "ban|troll|Den|for 10m", "unban|troll|Den|",
		"mute|troll|Den|for 1h30m", "unmute|troll|Den|",
		"gban|troll2||for 1h", "gunban|troll2||",
		"password|root||set",
	}
	if got := auditLines(t, st); !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s\nroot got %q", strings.Join(got, "\n"), strings.Join(want, "\n"), drainLines(root))
	}
}

// TestAuditOnlyWhatTookEffect: a ban the store could not keep is not
// recorded.
func TestAuditOnlyWhatTookEffect(t *testing.T) {
	t.Parallel()
	st := saveBanFails{store.NewMemory(0)}
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	root := loginWith(t, h, "root", opts("SHA256:op", "10.0.0.1:1000", true))
	root.Input(t.Context(), "/switch Den")
	drainLines(root)
	root.Input(t.Context(), "/ban troll")
	if got, want := drainLines(root), []string{"<helperbot> Could not ban troll, please try again.\n"}; !slices.Equal(got, want) {
		t.Errorf("root got %q, want %q", got, want)
	}
	if got := st.Audit(); len(got) != 0 {
		t.Errorf("audit log %+v after a ban that failed, want none", got)
	}
}
