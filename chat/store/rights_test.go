package store_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestRights runs the same room-rights story on both stores, the SQLite
// one reopened before each look: a topic (chat's too, which has no room
// record of its own; rooms keep their names as created), a lock, admins and invitations; unlocking forgets
// the room's invitations, and a deleted room takes its rights along.
func TestRights(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "chat.db")
	stores := []struct {
		name   string
		reopen func() chat.Store
	}{
		{"memory", func() func() chat.Store {
			m := store.NewMemory(0)
			return func() chat.Store { return m }
		}()},
		{"sqlite", func() chat.Store { return open(t, path, store.Options{}) }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			s := st.reopen()
			must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: "Den", Creator: "alice", Created: t0}))
			must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: "attic", Creator: "bob", Created: t0}))
			must(t, s.SetTopic(ctx, "den", "plans"))
			must(t, s.SetTopic(ctx, "chat", "welcome"))
			must(t, s.SetLocked(ctx, "Den", true))
			must(t, s.SaveAdmin(ctx, chat.AdminRecord{Room: "Den", Name: "Bob", By: "alice", Time: t0}))
			must(t, s.SaveAdmin(ctx, chat.AdminRecord{Room: "Den", Name: "carol", By: "alice", Time: t0}))
			must(t, s.DeleteAdmin(ctx, "den", "CAROL"))
			must(t, s.SaveAdmin(ctx, chat.AdminRecord{Room: "attic", Name: "dave", By: "bob", Time: t0}))
			must(t, s.SaveInvite(ctx, chat.InviteRecord{Room: "Den", Name: "frank", By: "alice", Time: t0}))
			must(t, s.SaveInvite(ctx, chat.InviteRecord{Room: "Den", Name: "Frank", By: "alice", Told: true, Time: t0}))
			must(t, s.SetLocked(ctx, "attic", true))
			must(t, s.SaveInvite(ctx, chat.InviteRecord{Room: "attic", Name: "gina", By: "bob", Time: t0}))

			s = st.reopen()
			got := summary(t, s)
			want := "rooms: Den 'plans' locked, attic '' locked, chat 'welcome' open; admins: Den/Bob by alice, attic/dave by bob; invites: Den/Frank by alice told, attic/gina by bob"
			if got != want {
				t.Errorf("after the changes:\n got %s\nwant %s", got, want)
			}
			must(t, s.SetLocked(ctx, "den", false))
			must(t, s.DeleteRooms(ctx, []string{"ATTIC"}))
			s = st.reopen()
			got = summary(t, s)
			want = "rooms: Den 'plans' open, chat 'welcome' open; admins: Den/Bob by alice; invites: "
			if got != want {
				t.Errorf("after unlock and delete:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// summary is what s's LoadRights returns, in one sorted line.
func summary(t *testing.T, s chat.Store) string {
	t.Helper()
	snap, err := s.LoadRights(t.Context())
	must(t, err)
	var rooms, admins, invites []string
	for _, r := range snap.Rooms {
		lock := "open"
		if r.Locked {
			lock = "locked"
		}
		rooms = append(rooms, r.Room+" '"+r.Topic+"' "+lock)
	}
	for _, a := range snap.Admins {
		admins = append(admins, a.Room+"/"+a.Name+" by "+a.By)
	}
	for _, i := range snap.Invites {
		told := ""
		if i.Told {
			told = " told"
		}
		invites = append(invites, i.Room+"/"+i.Name+" by "+i.By+told)
	}
	for _, l := range [][]string{rooms, admins, invites} {
		slices.Sort(l)
	}
	return "rooms: " + strings.Join(rooms, ", ") + "; admins: " + strings.Join(admins, ", ") + "; invites: " + strings.Join(invites, ", ")
}
