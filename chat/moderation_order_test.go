package chat_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// liftPausing is a memory store whose DeleteBan and DeleteMute, once
// armed, do their work and then wait for resume: an /unban or /unmute
// held between its store write and its change in memory.
type liftPausing struct {
	*store.Memory
	armed   bool
	deleted chan struct{} // closed once the paused delete is done
	resume  chan struct{}
}

func (s *liftPausing) pause() {
	if !s.armed {
		return
	}
	s.armed = false
	close(s.deleted)
	<-s.resume
}

func (s *liftPausing) DeleteBan(ctx context.Context, room, name string) error {
	err := s.Memory.DeleteBan(ctx, room, name)
	s.pause()
	return err
}

func (s *liftPausing) DeleteMute(ctx context.Context, room, name string) error {
	err := s.Memory.DeleteMute(ctx, room, name)
	s.pause()
	return err
}

// TestModerationOneOrder: two admins who /unban and /ban again (or
// /unmute and /mute again) the same name at once leave the store and memory agreeing,
// whichever comes first: a restart brings back what the room held.
func TestModerationOneOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, set, lift, again string
		held                   func(h *chat.Hub, st chat.Store) (mem, disk bool)
	}{
		{"ban", "/ban troll", "/unban troll", "/ban troll 1h", func(h *chat.Hub, st chat.Store) (bool, bool) {
			snap, _ := st.Load(context.Background())
			return !h.CanEnter("den", "troll"), slices.ContainsFunc(snap.Bans, func(b chat.BanRecord) bool { return b.Name == "troll" })
		}},
		{"mute", "/mute troll", "/unmute troll", "/mute troll 1h", func(h *chat.Hub, st chat.Store) (bool, bool) {
			snap, _ := st.Load(context.Background())
			return mutedIn(h, "den", "troll"), slices.ContainsFunc(snap.Mutes, func(m chat.MuteRecord) bool { return m.Name == "troll" })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &liftPausing{Memory: store.NewMemory(0), deleted: make(chan struct{}), resume: make(chan struct{})}
			h := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
			ann := inDen(t, h, "ann", chat.LoginOptions{})
			ann.Input(t.Context(), "/op bob")
			bob := inDen(t, h, "bob", chat.LoginOptions{})
			if tc.name == "mute" {
				inDen(t, h, "troll", chat.LoginOptions{})
			}
			ann.Input(t.Context(), tc.set)
			st.armed = true

			lifted := make(chan struct{})
			go func() { defer close(lifted); ann.Input(context.Background(), tc.lift) }()
			<-st.deleted // the lift is in the store, not yet in memory
			set := make(chan struct{})
			go func() { defer close(set); bob.Input(context.Background(), tc.again) }()
			select { // give the second admin's command its chance to run meanwhile
			case <-set:
			case <-time.After(2 * time.Second):
			}
			close(st.resume)
			<-lifted
			<-set
			if mem, disk := tc.held(h, st); mem != disk {
				t.Errorf("after %q and %q at once: in memory %v, in the store %v", tc.lift, tc.again, mem, disk)
			}
		})
	}
}
