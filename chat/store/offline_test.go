package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestOffline: both stores keep the messages for offline names by folded
// name, oldest first (by time, whether saved or queued), the newest chat.MaxOffline of each
// name; delete up to an ID and prune by age; SQLite across a reopen.
func TestOffline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	for name, s := range map[string]chat.Store{
		"memory": store.NewMemory(0),
		"sqlite": open(t, path, store.Options{}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			rec := func(to, text string, at time.Duration) chat.OfflineRecord {
				return chat.OfflineRecord{Name: to, From: "anna", Room: "den", Text: text, Time: t0.Add(at)}
			}
			must(t, s.SaveOffline(ctx, rec("Mike", "saved", 0)))
			s.QueueOffline(rec("MIKE", "queued", time.Second))
			s.QueueOffline(rec("eve", "for eve", 300*time.Hour))
			got, err := s.Offline(ctx, "mike")
			must(t, err)
			if len(got) != 2 || got[0].Text != "saved" || got[1].Text != "queued" || got[0].ID >= got[1].ID ||
				got[1].From != "anna" || got[1].Room != "den" || !got[1].Time.Equal(t0.Add(time.Second)) {
				t.Fatalf("Offline(mike) = %+v, want the saved one then the queued one", got)
			}
			must(t, s.DeleteOffline(ctx, "MiKe", got[0].ID))
			if got, err := s.Offline(ctx, "mike"); err != nil || len(got) != 1 || got[0].Text != "queued" {
				t.Errorf("Offline(mike) after deleting the first = %+v, %v; want the queued one", got, err)
			}
			for i := range chat.MaxOffline + 3 {
				s.QueueOffline(rec("zed", fmt.Sprint(i), time.Duration(i)*time.Hour))
			}
			must(t, s.SaveOffline(ctx, rec("zed", "last", 200*time.Hour)))
			got, err = s.Offline(ctx, "zed")
			must(t, err)
			if len(got) != chat.MaxOffline || got[0].Text != "4" || got[len(got)-1].Text != "last" {
				t.Errorf("Offline(zed) = %d records from %q to %q, want %d from \"4\" to \"last\"",
					len(got), got[0].Text, got[len(got)-1].Text, chat.MaxOffline)
			}
			must(t, s.PruneOffline(ctx, t0.Add(50*time.Hour)))
			if got, err := s.Offline(ctx, "zed"); err != nil || len(got) != 54 || got[0].Text != "50" {
				t.Errorf("Offline(zed) after pruning = %d records, %v; want 54 from \"50\"", len(got), err)
			}
		})
	}
	s := open(t, path, store.Options{}) // reopened: kept
	got, err := s.Offline(t.Context(), "eve")
	must(t, err)
	if len(got) != 1 || got[0].Text != "for eve" {
		t.Errorf("Offline(eve) after a reopen = %+v, want the one queued", got)
	}
}
