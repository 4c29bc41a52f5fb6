package store_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestServerBans: both stores keep server bans in the order made, all
// their fields, a second ban of a name (in any case) replacing the first
// and counting as made last; a deleted one is gone, also after a reopen.
func TestServerBans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	for name, s := range map[string]chat.Store{
		"memory": store.NewMemory(0),
		"sqlite": open(t, path, store.Options{}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			a := chat.ServerBanRecord{Name: "Troll", KeyID: "SHA256:k", Addr: "10.0.0.9", By: "root", Until: t0.Add(time.Hour), Time: t0}
			b := chat.ServerBanRecord{Name: "spam", By: "root", Time: t0.Add(time.Minute)}
			c := chat.ServerBanRecord{Name: "gone", By: "root", Time: t0.Add(2 * time.Minute)}
			for _, r := range []chat.ServerBanRecord{a, b, c} {
				must(t, s.SaveServerBan(ctx, r))
			}
			a2 := a
			a2.Name, a2.Until, a2.Time = "TROLL", time.Time{}, t0.Add(3*time.Minute)
			must(t, s.SaveServerBan(ctx, a2))
			must(t, s.DeleteServerBan(ctx, "GONE"))
			want := []chat.ServerBanRecord{b, a2}
			check := func(s chat.Store) {
				t.Helper()
				snap, err := s.Load(ctx)
				must(t, err)
				got := snap.ServerBans
				for i := range got { // times come back in the local zone
					got[i].Time = got[i].Time.UTC()
					if !got[i].Until.IsZero() {
						got[i].Until = got[i].Until.UTC()
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ServerBans = %+v, want %+v", got, want)
				}
			}
			check(s)
			if db, ok := s.(*store.SQLite); ok {
				must(t, db.Close())
				check(open(t, path, store.Options{}))
			}
		})
	}
}
