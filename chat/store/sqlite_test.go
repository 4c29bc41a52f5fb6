package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/store"
	"chatserver/chat/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, opts store.Options) *store.SQLite {
	t.Helper()
	s, err := store.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteKeepsState checks that what Load returns after a reopen is what
// was written: rooms in creation order as first written, bans by fold key
// with their plugin, unbans, and names bound to keys.
func TestSQLiteKeepsState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	ctx := t.Context()
	s := open(t, path, store.Options{})
	must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: "Zeta", Creator: "Alice", Created: t0}))
	must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: "alpha", Creator: "bob", Created: t0.Add(time.Second)}))
	if err := s.CreateRoom(ctx, chat.RoomRecord{Name: "ZETA", Creator: "eve", Created: t0.Add(2 * time.Second)}); !errors.Is(err, chat.ErrRoomExists) {
		t.Fatalf("CreateRoom of a stored room = %v, want ErrRoomExists", err) // and the first record stays
	}
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "Zeta", Name: "Mallory", By: "helperbot", Time: t0}))
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "zeta", Name: "mallory", By: "guardbot", Time: t0.Add(time.Minute)})) // replaces
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "alpha", Name: "Trent", By: "helperbot", Time: t0}))
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "alpha", Name: "Peggy", By: "helperbot", Time: t0}))
	must(t, s.DeleteBan(ctx, "ALPHA", "peggy"))
	must(t, s.DeleteBan(ctx, "alpha", "nobody")) // not banned: no error
	must(t, s.BindName(ctx, chat.NameRecord{Name: "Carol", KeyID: "SHA256:one"}))
	must(t, s.BindName(ctx, chat.NameRecord{Name: "dave", KeyID: "SHA256:two", LastUsed: t0}))
	must(t, s.BindName(ctx, chat.NameRecord{Name: "Dave", KeyID: "SHA256:two", LastUsed: t0.Add(time.Hour)})) // refreshed
	must(t, s.Close())

	s = open(t, path, store.Options{})
	got, err := s.Load(ctx)
	must(t, err)
	want := chat.Snapshot{
		Rooms: []chat.RoomRecord{
			{Name: "Zeta", Creator: "Alice", Created: t0},
			{Name: "alpha", Creator: "bob", Created: t0.Add(time.Second)},
		},
		Bans: []chat.BanRecord{
			{Room: "alpha", Name: "Trent", By: "helperbot", Time: t0},
			{Room: "zeta", Name: "mallory", By: "guardbot", Time: t0.Add(time.Minute)},
		},
		Names: []chat.NameRecord{{Name: "Carol", KeyID: "SHA256:one"}, {Name: "Dave", KeyID: "SHA256:two", LastUsed: t0.Add(time.Hour)}},
	}
	if !equalSnapshots(got, want) {
		t.Errorf("Load after reopen =\n%+v\nwant\n%+v", got, want)
	}
}

func equalSnapshots(a, b chat.Snapshot) bool {
	norm := func(s chat.Snapshot) chat.Snapshot {
		for i := range s.Rooms {
			s.Rooms[i].Created = s.Rooms[i].Created.UTC()
		}
		for i := range s.Bans {
			s.Bans[i].Time = s.Bans[i].Time.UTC()
		}
		for i := range s.Names {
			s.Names[i].LastUsed = s.Names[i].LastUsed.UTC()
		}
		return s
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// msg is message i of room, said i seconds after t0, numbered i+1 in the
// room's order.
func msg(room string, i int) chat.Message {
	return chat.Message{Room: room, From: "alice", Text: fmt.Sprintf("message %d", i), Time: t0.Add(time.Duration(i) * time.Second), Seq: uint64(i) + 1}
}

func texts(msgs []chat.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func TestSQLiteHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	ctx := t.Context()
	s := open(t, path, store.Options{})
	for i := range 30 {
		s.AppendMessage(msg("Lobby", i))
		s.AppendMessage(msg("other", 100+i))
	}
	must(t, s.Flush(ctx))
	end := uint64(math.MaxUint64)
	tests := []struct {
		name   string
		room   string
		before uint64 // a Seq; message i has i+1
		n      int
		want   []string
	}{
		{"last three", "lobby", end, 3, []string{"message 27", "message 28", "message 29"}},
		{"before 10", "LOBBY", 11, 2, []string{"message 8", "message 9"}},
		{"fewer than asked", "Lobby", 3, 5, []string{"message 0", "message 1"}},
		{"nothing before", "Lobby", 1, 5, []string{}},
		{"other room", "other", end, 1, []string{"message 129"}},
		{"unknown room", "nope", end, 5, []string{}},
		{"zero n", "Lobby", end, 0, []string{}},
		{"zero seq", "Lobby", 0, 5, []string{}},
		{"past the last", "Lobby", 1000, 1, []string{"message 29"}},
		{"past int64", "Lobby", math.MaxInt64 + 10, 1, []string{"message 29"}},
	}
	check := func(s *store.SQLite) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.History(ctx, tc.room, tc.before, tc.n)
				must(t, err)
				if g := texts(got); !reflect.DeepEqual(g, tc.want) {
					t.Errorf("History(%q, %v, %d) = %q, want %q", tc.room, tc.before, tc.n, g, tc.want)
				}
				for _, m := range got {
					if m.Room != tc.room && chat.Fold(m.Room) != chat.Fold(tc.room) || m.From != "alice" {
						t.Errorf("History(%q) gave %+v", tc.room, m)
					}
				}
			})
		}
	}
	check(s)
	must(t, s.Close())
	check(open(t, path, store.Options{}))
}

// TestSQLiteRetention checks that a room keeps its last HistoryPerRoom
// messages, as they are written and when the setting is lowered.
func TestSQLiteRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	ctx := t.Context()
	s := open(t, path, store.Options{HistoryPerRoom: 5})
	for i := range 12 {
		s.AppendMessage(msg("a", i))
		if i%4 == 0 {
			must(t, s.Flush(ctx)) // several batches
		}
	}
	s.AppendMessage(msg("b", 0))
	must(t, s.Flush(ctx))
	if n := countMessages(t, path, "a"); n != 5 {
		t.Errorf("room a has %d messages in the file, want 5", n)
	}
	got, err := s.History(ctx, "a", math.MaxUint64, 100)
	must(t, err)
	if want := []string{"message 7", "message 8", "message 9", "message 10", "message 11"}; !reflect.DeepEqual(texts(got), want) {
		t.Errorf("History = %q, want %q", texts(got), want)
	}
	must(t, s.Close())

	s = open(t, path, store.Options{HistoryPerRoom: 2})
	got, err = s.History(ctx, "a", math.MaxUint64, 100)
	must(t, err)
	if want := []string{"message 10", "message 11"}; !reflect.DeepEqual(texts(got), want) {
		t.Errorf("History after lowering the retention = %q, want %q", texts(got), want)
	}
	if n := countMessages(t, path, "b"); n != 1 {
		t.Errorf("room b has %d messages, want 1", n)
	}
}

// countMessages counts the rows of room in the file at path, on a
// connection of its own.
func countMessages(t *testing.T, path, room string) int {
	t.Helper()
	db := rawDB(t, path)
	var n int
	must(t, db.QueryRow("SELECT count(*) FROM messages WHERE room_key = ?", chat.Fold(room)).Scan(&n))
	return n
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSQLiteCloseWritesQueue checks that Close writes every queued message.
func TestSQLiteCloseWritesQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := open(t, path, store.Options{QueueLen: 5000})
	for i := range 3000 {
		s.AppendMessage(msg("a", i))
	}
	must(t, s.Close())
	if s.Dropped() != 0 {
		t.Errorf("Dropped = %d, want 0", s.Dropped())
	}
	s.AppendMessage(msg("a", 3000)) // after Close: dropped, no panic
	if s.Dropped() != 1 {
		t.Errorf("Dropped after an append to a closed store = %d, want 1 (chatserver_history_dropped_total)", s.Dropped())
	}
	if n := countMessages(t, path, "a"); n != 3000 {
		t.Errorf("%d messages in the file, want 3000", n)
	}
	must(t, s.Close()) // twice is fine
}

// TestSQLiteAppendNeverBlocks holds the database's write lock from another
// connection, as a stuck disk would hold the writer, and checks that
// appending goes on without waiting: what does not fit in the queue is
// dropped and counted, and the rest is written once the lock is gone.
func TestSQLiteAppendNeverBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := open(t, path, store.Options{QueueLen: 10})
	ctx := t.Context()

	db := rawDB(t, path)
	conn, err := db.Conn(ctx)
	must(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	must(t, err)

	start := time.Now()
	for i := range 1000 {
		s.AppendMessage(msg("a", i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("1000 appends took %v with the writer stuck", d)
	}
	dropped := s.Dropped()
	if dropped == 0 || dropped > 1000-10 {
		t.Errorf("Dropped = %d, want some, and at most %d (the queue holds 10)", dropped, 1000-10)
	}
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	must(t, err)
	must(t, s.Flush(ctx))
	if n := countMessages(t, path, "a"); n != 1000-int(dropped) {
		t.Errorf("%d messages written, want %d (1000 less %d dropped)", n, 1000-int(dropped), dropped)
	}
}

// TestOpenErrors checks that a file Open cannot use is one clear error, and
// never a panic nor a store that fails later.
func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to open
		want  string                                // in the error
	}{
		{"garbage file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "chat.db")
			must(t, os.WriteFile(p, []byte(strings.Repeat("this is not a database\n", 100)), 0o600))
			return p
		}, "file is not a database"},
		{"truncated header", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "chat.db")
			must(t, os.WriteFile(p, []byte("SQLite format 3\x00garbage"), 0o600))
			return p
		}, "not a database"},
		{"corrupt pages", corruptPages, "corrupt"},
		{"a folder", func(t *testing.T, dir string) string { return dir }, "is a directory"},
		{"missing folder", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing", "chat.db")
		}, "no such file or directory"},
		{"newer schema", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "chat.db")
			db := rawDB(t, p)
			_, err := db.Exec("PRAGMA user_version = 99")
			must(t, err)
			must(t, db.Close())
			return p
		}, "schema version 99 is newer than this chatserver knows"},
		{"read-only file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "chat.db")
			s, err := store.Open(t.Context(), p, store.Options{})
			must(t, err)
			must(t, s.Close())
			if !storetest.ReadOnly(t, p) {
				t.Skip("cannot make a file read-only here")
			}
			return p
		}, "readonly database"},
		{"read-only folder", func(t *testing.T, dir string) string {
			if !storetest.ReadOnly(t, dir) {
				t.Skip("cannot make a folder read-only here")
			}
			return filepath.Join(dir, "chat.db")
		}, "chat.db: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setup(t, t.TempDir())
			s, err := store.Open(t.Context(), path, store.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error with %q", path, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "open store "+path+": ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("Open(%s) = %q, want one line \"open store %s: …%s…\"", path, msg, path, tc.want)
			}
			if tc.name == "newer schema" && !errors.Is(err, store.ErrNewerSchema) {
				t.Errorf("error %v is not ErrNewerSchema", err)
			}
		})
	}
}

// corruptPages writes a good database with a few hundred messages, then
// overwrites pages past the first with garbage.
func corruptPages(t *testing.T, dir string) string {
	p := filepath.Join(dir, "chat.db")
	s, err := store.Open(t.Context(), p, store.Options{})
	must(t, err)
	for i := range 500 {
		s.AppendMessage(msg("a", i))
	}
	must(t, s.Close())
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	fi, err := f.Stat()
	must(t, err)
	if fi.Size() < 4*4096 {
		t.Fatalf("database only %d bytes", fi.Size())
	}
	_, err = f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", 2048)), 2*4096)
	must(t, err)
	return p
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.db")
	ctx := t.Context()
	s := open(t, path, store.Options{})
	must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: "kept", Creator: "alice", Created: t0}))
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "kept", Name: "bob", By: "helperbot", Time: t0}))

	// Writes go on while the copy is taken; the copy has every message
	// written before it started.
	for i := range 200 {
		s.AppendMessage(msg("kept", i))
	}
	must(t, s.Flush(ctx))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 200; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.AppendMessage(msg("kept", i))
			time.Sleep(100 * time.Microsecond)
		}
	}()
	dst := filepath.Join(dir, "backup.db")
	err := store.Backup(ctx, path, dst)
	close(stop)
	<-done
	must(t, err)

	if err := store.Backup(ctx, path, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Backup over an existing file = %v, want an error", err)
	}
	missing := filepath.Join(dir, "missing.db")
	if err := store.Backup(ctx, missing, filepath.Join(dir, "b2.db")); err == nil {
		t.Errorf("Backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup created %s", missing)
	}

	b := open(t, dst, store.Options{})
	snap, err := b.Load(ctx)
	must(t, err)
	if len(snap.Rooms) != 1 || snap.Rooms[0].Name != "kept" || len(snap.Bans) != 1 || snap.Bans[0].Name != "bob" {
		t.Errorf("backup holds %+v", snap)
	}
	if n := countMessages(t, dst, "kept"); n < 200 {
		t.Errorf("backup holds %d messages, want at least 200", n)
	}
	var check string
	must(t, rawDB(t, dst).QueryRow("PRAGMA integrity_check").Scan(&check))
	if check != "ok" {
		t.Errorf("integrity_check of the backup = %q", check)
	}
}

// TestStoreInterface keeps SQLite a chat.Store.
func TestStoreInterface(t *testing.T) {
	var _ chat.Store = (*store.SQLite)(nil)
	var _ chat.Store = store.NewMemory(0)
	_ = context.Background
}

// TestDeleteRoom: an expired room goes from both stores with its bans and
// messages, whatever the case of its name; other rooms keep theirs.
func TestDeleteRoom(t *testing.T) {
	for name, s := range map[string]chat.Store{
		"memory": store.NewMemory(0),
		"sqlite": open(t, filepath.Join(t.TempDir(), "chat.db"), store.Options{}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			for _, room := range []string{"Zeta", "alpha"} {
				must(t, s.CreateRoom(ctx, chat.RoomRecord{Name: room, Creator: "alice", Created: t0}))
				must(t, s.SaveBan(ctx, chat.BanRecord{Room: room, Name: "mallory", By: "helperbot", Time: t0}))
				for i := range 3 {
					s.AppendMessage(msg(room, i))
				}
			}
			must(t, s.DeleteRooms(ctx, []string{"ZETA"})) // Zeta's queued messages go too
			if db, ok := s.(*store.SQLite); ok {
				must(t, db.Flush(ctx))
			}
			snap, err := s.Load(ctx)
			must(t, err)
			if len(snap.Rooms) != 1 || snap.Rooms[0].Name != "alpha" || len(snap.Bans) != 1 || snap.Bans[0].Room != "alpha" {
				t.Errorf("after DeleteRooms: rooms %v, bans %v; want alpha's alone", snap.Rooms, snap.Bans)
			}
			if err := s.CreateRoom(ctx, chat.RoomRecord{Name: "ALPHA", Creator: "eve"}); !errors.Is(err, chat.ErrRoomExists) {
				t.Errorf("CreateRoom of a stored room = %v, want ErrRoomExists", err)
			}
			for room, want := range map[string]int{"zeta": 0, "alpha": 3} {
				msgs, err := s.History(ctx, room, math.MaxUint64, 10)
				must(t, err)
				if len(msgs) != want {
					t.Errorf("%s keeps %d messages, want %d", room, len(msgs), want)
				}
			}
		})
	}
}
