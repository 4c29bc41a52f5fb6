package store_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestIgnores: both stores keep a user's ignore list by folded names, in
// the order ignored, across a reopen for SQLite.
func TestIgnores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	for name, s := range map[string]chat.Store{
		"memory": store.NewMemory(0),
		"sqlite": open(t, path, store.Options{}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			rec := func(who, ignored string, at time.Duration) chat.IgnoreRecord {
				return chat.IgnoreRecord{Name: who, Ignored: ignored, Time: t0.Add(at)}
			}
			must(t, s.SaveIgnore(ctx, rec("Dave", "Mallory", 0)))
			must(t, s.SaveIgnore(ctx, rec("dave", "bob", time.Second)))
			must(t, s.SaveIgnore(ctx, rec("dave", "troll", 2*time.Second)))
			must(t, s.SaveIgnore(ctx, rec("eve", "bob", 0)))
			must(t, s.DeleteIgnore(ctx, "DAVE", "TROLL"))
			must(t, s.DeleteIgnore(ctx, "dave", "nobody")) // not ignored: no error
			got, err := s.Ignores(ctx, "DaVe")
			must(t, err)
			want := []chat.IgnoreRecord{rec("DaVe", "Mallory", 0), rec("DaVe", "bob", time.Second)}
			if !reflect.DeepEqual(ignoreTimes(got), ignoreTimes(want)) {
				t.Errorf("Ignores(dave) = %+v, want %+v", got, want)
			}
			must(t, s.DeleteIgnores(ctx, "EVE"))
			if got, err := s.Ignores(ctx, "eve"); err != nil || len(got) != 0 {
				t.Errorf("Ignores(eve) after DeleteIgnores = %+v, %v; want none", got, err)
			}
		})
	}
	s := open(t, path, store.Options{}) // reopened: kept
	got, err := s.Ignores(t.Context(), "dave")
	must(t, err)
	if len(got) != 2 || got[0].Ignored != "Mallory" || got[1].Ignored != "bob" {
		t.Errorf("Ignores(dave) after a reopen = %+v, want Mallory and bob", got)
	}
}

// ignoreTimes makes the records' times comparable with DeepEqual: UTC, no
// monotonic reading.
func ignoreTimes(recs []chat.IgnoreRecord) []chat.IgnoreRecord {
	for i := range recs {
		recs[i].Time = recs[i].Time.UTC()
		recs[i].Name = chat.Fold(recs[i].Name)
	}
	return recs
}
