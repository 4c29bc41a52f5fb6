package chat_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// recorder is a plugin that keeps the messages and topic changes it is
// told about.
type recorder struct {
	chat.BasePlugin
	mu     sync.Mutex
	msgs   []chat.Message
	topics []chat.Topic
}

func (*recorder) Name() string { return "recorder" }
func (r *recorder) MessageReceived(_ context.Context, _ *chat.Bot, m chat.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}
func (r *recorder) TopicChanged(_ context.Context, _ *chat.Bot, t chat.Topic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics = append(r.topics, t)
}

// An action goes through the room's one order like a message: numbered,
// delivered, kept in memory and in the store (flag included, so it comes
// back as an action after a restart), and plugins see it flagged.
func TestActionIsAFlaggedMessage(t *testing.T) {
	t.Parallel()
	st := store.NewMemory(0)
	rec := &recorder{}
	h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{rec}})
	alice, bob := login(t, h, "alice"), login(t, h, "bob")
	drainLines(alice)
	drainLines(bob)

	alice.Input(t.Context(), "plain")
	alice.Input(t.Context(), "/me  waves ")
	if got, want := drainLines(bob), []string{"<alice> plain\n", "* alice waves\n"}; !slices.Equal(got, want) {
		t.Errorf("bob got %q, want %q", got, want)
	}
	if got := drainLines(alice); len(got) != 0 {
		t.Errorf("alice got %q, want no echo", got)
	}
	recent := bob.Recent(2)
	if len(recent) != 2 || recent[0].Action || !recent[1].Action || recent[1].Seq != recent[0].Seq+1 {
		t.Errorf("Recent = %+v, want the message then the action, in order", recent)
	}
	rec.mu.Lock()
	got := slices.Clone(rec.msgs)
	rec.mu.Unlock()
	if len(got) != 2 || got[0].Action || !got[1].Action || got[1].Text != "waves" {
		t.Errorf("the plugin saw %+v, want the message and then the flagged action", got)
	}

	// A new hub on the same store replays it as an action.
	h2 := chattest.NewHub(t, chat.Config{Store: st})
	carol := login(t, h2, "carol")
	drainLines(carol)
	carol.Input(t.Context(), "/history 2")
	lines := drainLines(carol)
	if len(lines) != 2 || !historyEnds(lines[0], "<alice> plain\n") || !historyEnds(lines[1], "* alice waves\n") {
		t.Errorf("/history after a restart = %q", lines)
	}
}

func historyEnds(l, want string) bool {
	return len(l) == len("<system> [HH:MM] ")+len(want) && l[len("<system> [HH:MM] "):] == want
}

// Away state: shown by Members (a new shared list, so screens see it),
// announced to screens by a roster event, ended by a message or /back.
func TestAway(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	ui, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "ssh", Outbox: chat.NewOutbox(0), Roster: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := login(t, h, "alice")
	drainLines(alice)
	rosters := func() int { return rosterEvents(ui) }
	member := func(name string) chat.Member {
		for _, m := range h.Members("chat") {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("%s is not in chat", name)
		return chat.Member{}
	}
	rosters()
	ui.RosterSeen()

	before := h.Members("chat")
	alice.Input(t.Context(), "/away on a call")
	if got := drainLines(alice); !slices.Equal(got, []string{"<system> You're now marked as away: on a call\n"}) {
		t.Errorf("/away answered %q", got)
	}
	if m := member("alice"); !m.Away || m.AwayReason != "on a call" {
		t.Errorf("Members after /away: %+v", m)
	}
	if reason, away := alice.Away(); !away || reason != "on a call" {
		t.Errorf("Away() = %q, %v", reason, away)
	}
	if before[1].Away {
		t.Errorf("the list handed out before /away changed: %+v", before)
	}
	if n := rosters(); n != 1 {
		t.Errorf("/away queued %d roster events for the screen, want 1", n)
	}
	ui.RosterSeen()

	alice.Input(t.Context(), "I'm back")
	if got := drainLines(alice); len(got) != 0 {
		t.Errorf("a message while away answered %q, want nothing", got)
	}
	if m := member("alice"); m.Away || m.AwayReason != "" {
		t.Errorf("Members after a message: %+v", m)
	}
	if n := rosters(); n != 1 {
		t.Errorf("ending away queued %d roster events, want 1", n)
	}
	ui.RosterSeen()

	alice.Input(t.Context(), "/back")
	if got := drainLines(alice); !slices.Equal(got, []string{"<system> You're not marked as away.\n"}) {
		t.Errorf("/back when not away answered %q", got)
	}
	if n := rosters(); n != 0 {
		t.Errorf("/back when not away queued %d roster events, want 0", n)
	}
}
