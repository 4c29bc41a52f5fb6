package helperbot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// TestMuteLookAlike: a mute holds for the names that look like the one
// muted, as a ban does, and Members marks them; /unmute of a look-alike
// lifts it. The mute of a look-alike of a user online is theirs, and
// named as they logged in (TestBanMuteLookAlike).
func TestMuteLookAlike(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, troll := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "TR0LL")
	admin.Input(ctx, "/switch den")
	troll.Input(ctx, "/switch den")
	admin.Input(ctx, "/mute troll")
	chattest.Lines(admin)
	chattest.Lines(troll)
	troll.Input(ctx, "hi")
	if got, want := chattest.Lines(troll), []string{"<helperbot> You're muted in 'den'.\n"}; !slices.Equal(got, want) {
		t.Errorf("TR0LL got %q, want %q", got, want)
	}
	if got := chattest.Lines(admin); len(got) != 0 {
		t.Errorf("admin got %q from a muted look-alike", got)
	}
	if m := hub.Members("den"); len(m) != 2 || !m[1].Muted || m[0].Muted {
		t.Errorf("Members(den) = %+v, want TR0LL alone muted", m)
	}
	admin.Input(ctx, "/unmute tr0ll")
	if got, want := chattest.Lines(admin), []string{"<helperbot> TR0LL is no longer muted in 'den'.\n"}; !slices.Equal(got, want) {
		t.Errorf("admin got %q, want %q", got, want)
	}
	troll.Input(ctx, "hi")
	if got, want := chattest.Lines(admin), []string{"<TR0LL> hi\n"}; !slices.Equal(got, want) {
		t.Errorf("admin got %q, want %q", got, want)
	}
}

// FuzzModeration feeds arguments to /ban, /mute, /unmute, /unban and
// /bans from an admin: each answers with helperbot lines only, one reply
// each (a /bans listing is one block), never logs an error, and never
// bans or mutes the admin.
func FuzzModeration(f *testing.F) {
	for _, seed := range []string{"troll 2h", "troll soon", "", "  troll   7D  x", "ｔｒｏｌｌ 30m", "admin 1m",
		"troll 365d", "troll 366d", "troll 9999999m", "helperbot", "a/b 1h", "troll 0m", "troll -1h", "troll 1\u00a0h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, args string) {
		var errs bytes.Buffer // everything here runs on this goroutine
		log := slog.New(slog.NewTextHandler(&errs, &slog.HandlerOptions{Level: slog.LevelError}))
		hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}, Logger: log})
		ctx := t.Context()
		admin := chattest.Login(t, hub, "admin")
		admin.Input(ctx, "/switch den")
		chattest.Lines(admin)
		for _, cmd := range []string{"/ban ", "/mute ", "/bans ", "/unmute ", "/unban "} {
			admin.Input(ctx, cmd+args)
			got := chattest.Lines(admin)
			if len(got) != 1 {
				t.Fatalf("%q got %q, want one reply", cmd+args, got)
			}
			for _, l := range strings.SplitAfter(strings.TrimSuffix(got[0], "\n"), "\n") {
				if !strings.HasPrefix(l, "<helperbot> ") {
					t.Fatalf("%q got %q, want helperbot lines", cmd+args, got)
				}
			}
		}
		admin.Input(ctx, "still heard")
		admin.Input(ctx, "/switch chat")
		admin.Input(ctx, "/switch den")
		if got := chattest.Lines(admin); !slices.Contains(got, "<system> Switched to room 'den'\n") {
			t.Fatalf("admin after %q got %q", args, got)
		}
		if errs.Len() > 0 {
			t.Fatalf("%q logged errors: %s", args, errs.String())
		}
	})
}

// failingMutes is an in-memory store whose mutes cannot be written.
type failingMutes struct{ *store.Memory }

func (failingMutes) SaveMute(context.Context, chat.MuteRecord) error { return errors.New("disk full") }
func (failingMutes) DeleteMute(context.Context, string, string) error {
	return errors.New("disk full")
}

// TestMuteStoreFails: a mute or unmute the store cannot keep is refused
// with a line that says so, and changes nothing.
func TestMuteStoreFails(t *testing.T) {
	st := failingMutes{store.NewMemory(0)}
	hub := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, bob := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "bob")
	admin.Input(ctx, "/switch den")
	bob.Input(ctx, "/switch den")
	chattest.Lines(admin)
	chattest.Lines(bob)
	admin.Input(ctx, "/mute bob 1h")
	admin.Input(ctx, "/unmute bob")
	want := []string{"<helperbot> Could not mute bob, please try again.\n", "<helperbot> bob is not muted in 'den'.\n"}
	if got := chattest.Lines(admin); !slices.Equal(got, want) {
		t.Errorf("admin got %q, want %q", got, want)
	}
	bob.Input(ctx, "heard")
	if got := chattest.Lines(admin); !slices.Equal(got, []string{"<bob> heard\n"}) {
		t.Errorf("admin got %q, want bob heard", got)
	}
	if got := chattest.Lines(bob); len(got) != 0 {
		t.Errorf("bob got %q", got)
	}
}

// TestMuteAfterSpeaking: a user who spoke in a room with mutes (and so
// was found not muted) is muted all the same by a later /mute there, and
// in another room by its own mutes; /unmute and /mute again each hold at
// the next message.
func TestMuteAfterSpeaking(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	ctx := t.Context()
	admin, bob := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "bob")
	for _, room := range []string{"attic", "den"} {
		admin.Input(ctx, "/switch "+room)
		admin.Input(ctx, "/mute ghost")
	}
	bob.Input(ctx, "/switch den")
	chattest.Lines(admin)
	chattest.Lines(bob)
	muted := []string{"<helperbot> You're muted in 'den'.\n"}
	for i, step := range []struct {
		admin string   // what the admin types first, "" for nothing
		bob   []string // what bob gets for a message
	}{
		{"", nil},
		{"", nil},
		{"/mute bob", append([]string{"<helperbot> You've been muted in 'den'.\n"}, muted...)},
		{"/unmute bob", []string{"<helperbot> You're no longer muted in 'den'.\n"}},
		{"/mute bob 1h", append([]string{"<helperbot> You've been muted in 'den'.\n"}, muted...)},
		{"/unmute bob", []string{"<helperbot> You're no longer muted in 'den'.\n"}},
	} {
		if step.admin != "" {
			admin.Input(ctx, step.admin)
		}
		bob.Input(ctx, "message")
		if got := chattest.Lines(bob); !slices.Equal(got, step.bob) {
			t.Errorf("step %d (%q): bob got %q, want %q", i, step.admin, got, step.bob)
		}
	}
	admin.Input(ctx, "/switch attic")
	admin.Input(ctx, "/mute bob")
	bob.Input(ctx, "/switch attic")
	chattest.Lines(bob)
	bob.Input(ctx, "message")
	if got, want := chattest.Lines(bob), []string{"<helperbot> You're muted in 'attic'.\n"}; !slices.Equal(got, want) {
		t.Errorf("bob in attic got %q, want %q", got, want)
	}
}
