package store_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
)

// TestReadAudit: ReadAudit returns the records that pass each filter,
// oldest first, with all their fields, while the store is open and after
// it is closed (no write-ahead log then); a missing file is an error and
// is not created.
func TestReadAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := open(t, path, store.Options{})
	now := time.Now()
	recs := []chat.AuditRecord{
		{Time: now.Add(-48 * time.Hour), Actor: "Alice", ActorKey: "SHA256:a", ActorAddr: "10.0.0.1:1", Action: chat.AuditBan, Target: "troll", Room: "Den", Args: "for 1h"},
		{Time: now.Add(-2 * time.Hour), Actor: "bob", ActorAddr: "10.0.0.2:1", Action: chat.AuditTopic, Room: "Attic", Args: "hi ' \" there"},
		{Time: now.Add(-time.Minute), Actor: "alice", ActorKey: "SHA256:a", ActorAddr: "10.0.0.1:1", Action: chat.AuditServerBan, Target: "troll", Args: "for good"},
	}
	for _, r := range recs {
		must(t, s.SaveAudit(t.Context(), r))
	}
	for _, running := range []bool{true, false} {
		if !running {
			must(t, s.Close())
			defer func() {
				for _, suffix := range []string{"-wal", "-shm"} {
					if _, err := os.Stat(path + suffix); err == nil {
						t.Errorf("ReadAudit with no server left %s behind", filepath.Base(path+suffix))
					}
				}
			}()
		}
		for _, tc := range []struct {
			name string
			f    store.AuditFilter
			want []int
		}{
			{"all", store.AuditFilter{}, []int{0, 1, 2}},
			{"room", store.AuditFilter{Room: "den"}, []int{0}},
			{"actor", store.AuditFilter{Actor: "ALICE"}, []int{0, 2}},
			{"since", store.AuditFilter{Since: now.Add(-3 * time.Hour)}, []int{1, 2}},
			{"all three", store.AuditFilter{Room: "den", Actor: "alice", Since: now.Add(-3 * time.Hour)}, nil},
		} {
			got, err := store.ReadAudit(t.Context(), path, tc.f)
			must(t, err)
			var want []chat.AuditRecord
			for _, i := range tc.want {
				want = append(want, recs[i])
			}
			for i := range min(len(got), len(want)) {
				if got[i].Time.Equal(want[i].Time) {
					got[i].Time = want[i].Time // the monotonic reading is not stored
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("running %v, %s: ReadAudit = %+v, want %+v", running, tc.name, got, want)
			}
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if _, err := store.ReadAudit(t.Context(), missing, store.AuditFilter{}); err == nil {
		t.Error("ReadAudit of a missing file: no error")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("ReadAudit created the missing file")
	}
}
