package store_test

import (
	"cmp"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestTimedBansAndMutes: both stores keep a ban's end and SSH key and a
// room's mutes across a reopen (SQLite) or a Load (memory), replace a
// record of the same folded name, delete by folded names, and drop a
// removed room's mutes with it.
func TestTimedBansAndMutes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	for name, reopen := range map[string]func(chat.Store) chat.Store{
		"memory": func(s chat.Store) chat.Store { return s },
		"sqlite": func(s chat.Store) chat.Store {
			must(t, s.(*store.SQLite).Close())
			return open(t, path, store.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			var s chat.Store = store.NewMemory(0)
			if name == "sqlite" {
				s = open(t, path, store.Options{})
			}
			until := t0.Add(10 * time.Minute)
			for _, room := range []string{"Den", "attic"} {
				must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: room, Creator: "alice", Created: t0}))
			}
			must(t, s.SaveBan(ctx, chat.BanRecord{Room: "Den", Name: "Troll", By: "helperbot", Time: t0, Until: until, KeyID: "SHA256:troll"}))
			must(t, s.SaveBan(ctx, chat.BanRecord{Room: "Den", Name: "eve", By: "helperbot", Time: t0.Add(time.Second)}))
			must(t, s.SaveMute(ctx, chat.MuteRecord{Room: "Den", Name: "Bob", Time: t0, Until: until}))
			must(t, s.SaveMute(ctx, chat.MuteRecord{Room: "den", Name: "bob", Time: t0.Add(time.Minute)})) // replaces, for good
			must(t, s.SaveMute(ctx, chat.MuteRecord{Room: "Den", Name: "carol", Time: t0}))
			must(t, s.DeleteMute(ctx, "DEN", "CAROL"))
			must(t, s.SaveMute(ctx, chat.MuteRecord{Room: "attic", Name: "dave", Time: t0, Until: until}))
			must(t, s.DeleteRooms(ctx, []string{"ATTIC"}))
			s = reopen(s)
			snap, err := s.Load(ctx)
			must(t, err)
			for i := range snap.Bans {
				snap.Bans[i].Time, snap.Bans[i].Until = snap.Bans[i].Time.UTC(), utc(snap.Bans[i].Until)
			}
			for i := range snap.Mutes {
				snap.Mutes[i].Time, snap.Mutes[i].Until = snap.Mutes[i].Time.UTC(), utc(snap.Mutes[i].Until)
			}
			slices.SortFunc(snap.Bans, func(a, b chat.BanRecord) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
			wantBans := []chat.BanRecord{
				{Room: "Den", Name: "eve", By: "helperbot", Time: t0.Add(time.Second)},
				{Room: "Den", Name: "Troll", By: "helperbot", Time: t0, Until: until, KeyID: "SHA256:troll"},
			}
			wantMutes := []chat.MuteRecord{{Room: "den", Name: "bob", Time: t0.Add(time.Minute)}}
			if !reflect.DeepEqual(snap.Bans, wantBans) {
				t.Errorf("bans = %+v\nwant %+v", snap.Bans, wantBans)
			}
			if !reflect.DeepEqual(snap.Mutes, wantMutes) {
				t.Errorf("mutes = %+v\nwant %+v", snap.Mutes, wantMutes)
			}
		})
	}
}

// utc is t in UTC, the zero time kept zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
