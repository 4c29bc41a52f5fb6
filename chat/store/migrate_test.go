package store_test

import (
	"errors"
	"log/slog"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"chatserver/chat"
	"chatserver/chat/store"
)

// schemaV1 is the schema of version 1 as it shipped, written out again so
// that a change to the migrations cannot change what this test starts from.
const schemaV1 = `
CREATE TABLE rooms (
	id      INTEGER PRIMARY KEY,
	key     TEXT NOT NULL UNIQUE,
	name    TEXT NOT NULL,
	creator TEXT NOT NULL,
	created INTEGER NOT NULL
);
CREATE TABLE bans (
	room_key TEXT NOT NULL,
	name_key TEXT NOT NULL,
	room     TEXT NOT NULL,
	name     TEXT NOT NULL,
	time     INTEGER NOT NULL,
	PRIMARY KEY (room_key, name_key)
) WITHOUT ROWID;
CREATE TABLE names (
	key    TEXT PRIMARY KEY,
	name   TEXT NOT NULL,
	key_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE messages (
	id       INTEGER PRIMARY KEY,
	room_key TEXT NOT NULL,
	room     TEXT NOT NULL,
	sender   TEXT NOT NULL,
	text     TEXT NOT NULL,
	time     INTEGER NOT NULL
);
CREATE INDEX messages_room ON messages (room_key, id);
PRAGMA user_version = 1;
`

// TestMigrateFromV1 opens a file of schema version 1, as an older
// chatserver left it, and checks that everything in it is still there and
// that the file is now of the current version and takes the new columns.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	db := rawDB(t, path)
	ns := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{schemaV1, nil},
		{"INSERT INTO rooms (key, name, creator, created) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
			[]any{chat.Fold("games"), "Games", "Alice", ns(0), chat.Fold("music"), "music", "bob", ns(time.Minute)}},
		{"INSERT INTO bans (room_key, name_key, room, name, time) VALUES (?, ?, ?, ?, ?)",
			[]any{chat.Fold("games"), chat.Fold("mallory"), "Games", "Mallory", ns(time.Hour)}},
		{"INSERT INTO names (key, name, key_id) VALUES (?, ?, ?)", []any{chat.Fold("carol"), "Carol", "SHA256:abc"}},
		{"INSERT INTO messages (room_key, room, sender, text, time) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
			[]any{chat.Fold("games"), "Games", "Alice", "first", ns(time.Second), chat.Fold("games"), "Games", "bob", "second", ns(2 * time.Second)}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("make v1 file: %v", err)
		}
	}
	must(t, db.Close())

	ctx := t.Context()
	migrated := time.Now()
	s := open(t, path, store.Options{})
	snap, err := s.Load(ctx)
	must(t, err)
	// Version 3: a binding of before counts as used at the migration.
	if n := snap.Names; len(n) != 1 || n[0].LastUsed.Before(migrated.Add(-2*time.Second)) || n[0].LastUsed.After(time.Now()) {
		t.Errorf("names after migration = %+v, want last used at %v", n, migrated)
	}
	for i := range snap.Names {
		snap.Names[i].LastUsed = time.Time{}
	}
	want := chat.Snapshot{
		Rooms: []chat.RoomRecord{{Name: "Games", Creator: "Alice", Created: t0}, {Name: "music", Creator: "bob", Created: t0.Add(time.Minute)}},
		Bans:  []chat.BanRecord{{Room: "Games", Name: "Mallory", By: "helperbot", Time: t0.Add(time.Hour)}},
		Names: []chat.NameRecord{{Name: "Carol", KeyID: "SHA256:abc"}},
	}
	if !equalSnapshots(snap, want) {
		t.Errorf("Load after migration =\n%+v\nwant\n%+v", snap, want)
	}
	msgs, err := s.History(ctx, "games", math.MaxUint64, 10)
	must(t, err)
	if got := texts(msgs); !reflect.DeepEqual(got, []string{"first", "second"}) || msgs[0].From != "Alice" {
		t.Errorf("History after migration = %+v", msgs)
	}
	// Version 3: the old messages are numbered in the order they were
	// written, and the room's order goes on from them.
	if len(msgs) == 2 && (msgs[0].Seq == 0 || msgs[1].Seq <= msgs[0].Seq) {
		t.Errorf("numbers after migration: %d, %d; want two, rising", msgs[0].Seq, msgs[1].Seq)
	}
	if len(msgs) == 2 {
		s.AppendMessage(chat.Message{Room: "Games", From: "bob", Text: "third", Time: t0, Seq: msgs[1].Seq + 1})
		must(t, s.Flush(ctx))
		older, err := s.History(ctx, "games", msgs[1].Seq+1, 10)
		must(t, err)
		if got := texts(older); !reflect.DeepEqual(got, []string{"first", "second"}) {
			t.Errorf("History before the new message = %q, want first, second", got)
		}
	}
	// Version 5: the old messages are plain ones; an action keeps its flag.
	if len(msgs) == 2 {
		if msgs[0].Action || msgs[1].Action {
			t.Errorf("migrated messages marked as actions: %+v", msgs)
		}
		s.AppendMessage(chat.Message{Room: "Games", From: "bob", Text: "waves", Time: t0, Seq: msgs[1].Seq + 2, Action: true})
		must(t, s.Flush(ctx))
		last, err := s.History(ctx, "games", math.MaxUint64, 2)
		must(t, err)
		if len(last) != 2 || last[0].Action || !last[1].Action || last[1].Text != "waves" {
			t.Errorf("History after an action = %+v, want \"third\" plain and \"waves\" an action", last)
		}
	}

	// Version 2's column works.
	must(t, s.SaveBan(ctx, chat.BanRecord{Room: "music", Name: "Eve", By: "guardbot", Time: t0}))
	must(t, s.Close())
	var v int
	must(t, rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&v))
	if v != store.SchemaVersion {
		t.Errorf("user_version after migration = %d, want %d", v, store.SchemaVersion)
	}
	snap, err = open(t, path, store.Options{}).Load(ctx)
	must(t, err)
	if len(snap.Bans) != 2 || snap.Bans[0].By != "helperbot" || snap.Bans[1].By != "guardbot" {
		t.Errorf("bans after reopening = %+v", snap.Bans)
	}
}

// schemaV2 is what version 2 added to version 1, as it shipped.
const schemaV2 = `
ALTER TABLE bans ADD COLUMN by_plugin TEXT NOT NULL DEFAULT 'helperbot';
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 2;
`

// foldV1 is chat.Fold as version 1 of it was (no normalisation), written
// out again, for keys as an older chatserver wrote them.
func foldV1(s string) string {
	out := []rune(s)
	for i, r := range out {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			out[i] = min(out[i], f)
		}
	}
	return string(out)
}

// TestRekeyOldFold opens a file of schema version 2 written before names
// were normalised: rooms, bans and names whose keys chat.Fold now computes
// otherwise, two rooms and two names that fold together now. The file
// loads, keeps the first of each, and its keys are those of today.
func TestRekeyOldFold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	db := rawDB(t, path)
	ns := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }
	cafe, cafeNFD, lobby := "Café", "cafe\u0301", "ｌｏｂｂｙ"
	jose, joseNFD := "josé", "jose\u0301"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{schemaV1 + schemaV2, nil},
		{"INSERT INTO rooms (key, name, creator, created) VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)", []any{
			foldV1(cafe), cafe, "anna", ns(0), foldV1(cafeNFD), cafeNFD, "bert", ns(time.Minute), foldV1(lobby), lobby, "carl", ns(2 * time.Minute)}},
		{"INSERT INTO bans (room_key, name_key, room, name, by_plugin, time) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)", []any{
			foldV1(cafeNFD), foldV1(joseNFD), cafeNFD, joseNFD, "helperbot", ns(time.Hour),
			foldV1(cafe), foldV1(jose), cafe, jose, "guardbot", ns(2 * time.Hour)}},
		{"INSERT INTO names (key, name, key_id) VALUES (?, ?, ?), (?, ?, ?)", []any{
			foldV1(joseNFD), joseNFD, "SHA256:one", foldV1(jose), jose, "SHA256:two"}},
		{"INSERT INTO messages (room_key, room, sender, text, time) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", []any{
			foldV1(cafe), cafe, "anna", "one", ns(time.Second), foldV1(cafeNFD), cafeNFD, "bert", "two", ns(2 * time.Second)}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("make v2 file: %v", err)
		}
	}
	must(t, db.Close())

	ctx := t.Context()
	var logged strings.Builder
	s := open(t, path, store.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	snap, err := s.Load(ctx)
	must(t, err)
	for i := range snap.Names {
		snap.Names[i].LastUsed = time.Time{}
	}
	want := chat.Snapshot{
		Rooms: []chat.RoomRecord{{Name: cafe, Creator: "anna", Created: t0}, {Name: lobby, Creator: "carl", Created: t0.Add(2 * time.Minute)}},
		Bans:  []chat.BanRecord{{Room: cafeNFD, Name: joseNFD, By: "helperbot", Time: t0.Add(time.Hour)}},
		Names: []chat.NameRecord{{Name: joseNFD, KeyID: "SHA256:one"}},
	}
	if !equalSnapshots(snap, want) {
		t.Errorf("Load after re-keying =\n%+v\nwant\n%+v", snap, want)
	}
	for _, w := range []string{"room dropped", "ban dropped", "name binding dropped"} {
		if !strings.Contains(logged.String(), w) {
			t.Errorf("log has no %q:\n%s", w, logged.String())
		}
	}
	msgs, err := s.History(ctx, "CAFÉ", math.MaxUint64, 10)
	must(t, err)
	if got := texts(msgs); !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf("History of café = %q, want both rooms' messages", got)
	}
	// The keys are today's: the ban is lifted and the room found by name.
	must(t, s.DeleteBan(ctx, "café", jose))
	if err := s.CreateRoom(ctx, chat.RoomRecord{Name: "LOBBY", Creator: "eve", Created: t0}); !errors.Is(err, chat.ErrRoomExists) {
		t.Errorf("CreateRoom of a second lobby = %v, want ErrRoomExists", err)
	}
	snap, err = s.Load(ctx)
	must(t, err)
	if len(snap.Bans) != 0 || len(snap.Rooms) != 2 {
		t.Errorf("after unban and a second lobby: %+v", snap)
	}
	h, err := chat.New(ctx, chat.Config{Store: s})
	must(t, err)
	if got := h.Rooms(); len(got) != 3 || got[1].Name != cafe {
		t.Errorf("hub rooms = %+v", got)
	}
	must(t, s.Close())

	// Re-keyed once: the next open finds the version and leaves it.
	logged.Reset()
	open(t, path, store.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if logged.Len() != 0 {
		t.Errorf("second open logged %q", logged.String())
	}
}
