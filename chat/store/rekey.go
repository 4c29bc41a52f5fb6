package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"chatserver/chat"
)

// rekey brings the key columns, which hold chat.Fold of the names beside
// them, up to the Fold of this chatserver when the file was keyed by
// another (meta 'fold', absent before version 2 of Fold, which normalises:
// a room written as "cafe"+U+0301 had another key than "café" and has the
// same now). Rows that now share a key keep the first (rooms by creation,
// bans by time, names by their old key) and drop the others, each logged;
// messages follow their room's key, so two rooms' histories merge. It runs
// in one transaction at Open, and costs a look at the keys only when the
// version changed.
func (s *SQLite) rekey(ctx context.Context) error {
	want := strconv.Itoa(chat.FoldVersion)
	var have string
	err := s.w.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'fold'").Scan(&have)
	switch {
	case err == nil && have == want:
		return nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, step := range []func(context.Context, *sql.Tx) error{s.rekeyRooms, s.rekeyBans, s.rekeyNames, rekeyMessages} {
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('fold', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, want); err != nil {
		return err
	}
	return tx.Commit()
}

// rekeyRooms re-keys the rooms, the oldest keeping a key that several share.
func (s *SQLite) rekeyRooms(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		id        int64
		key, name string
	}
	rows, err := queryAll(ctx, tx, "SELECT id, key, name FROM rooms ORDER BY id", func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.key, &x.name)
	})
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	kept := map[string]string{}
	var moved []row
	for _, r := range rows {
		key := chat.Fold(r.name)
		if first, dup := kept[key]; dup {
			s.log.Warn("room dropped: its name folds like an older one's", "room", r.name, "kept", first)
			if _, err := tx.ExecContext(ctx, "DELETE FROM rooms WHERE id = ?", r.id); err != nil {
				return fmt.Errorf("rooms: %w", err)
			}
			continue
		}
		kept[key] = r.name
		if key != r.key {
			moved = append(moved, row{r.id, key, r.name})
		}
	}
	// Through a key of its own first, so that no two rows share one on the way.
	for _, r := range moved {
		if _, err := tx.ExecContext(ctx, "UPDATE rooms SET key = ? WHERE id = ?", "\x00"+strconv.FormatInt(r.id, 10), r.id); err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
	}
	for _, r := range moved {
		if _, err := tx.ExecContext(ctx, "UPDATE rooms SET key = ? WHERE id = ?", r.key, r.id); err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
	}
	return nil
}

// rekeyBans re-keys the bans, the first ban of a user from a room kept.
func (s *SQLite) rekeyBans(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		roomKey, nameKey, room, name, by string
		time                             int64
	}
	rows, err := queryAll(ctx, tx, "SELECT room_key, name_key, room, name, by_plugin, time FROM bans ORDER BY time, room_key, name_key",
		func(r *sql.Rows) (row, error) {
			var x row
			return x, r.Scan(&x.roomKey, &x.nameKey, &x.room, &x.name, &x.by, &x.time)
		})
	if err != nil {
		return fmt.Errorf("bans: %w", err)
	}
	kept := map[[2]string]bool{}
	var moved []row
	for _, r := range rows {
		key := [2]string{chat.Fold(r.room), chat.Fold(r.name)}
		switch {
		case kept[key]:
			s.log.Warn("ban dropped: the same as an older one since names fold alike", "room", r.room, "user", r.name)
		case key != [2]string{r.roomKey, r.nameKey}:
			moved = append(moved, row{key[0], key[1], r.room, r.name, r.by, r.time})
		default:
			kept[key] = true
			continue
		}
		kept[key] = true
		if _, err := tx.ExecContext(ctx, "DELETE FROM bans WHERE room_key = ? AND name_key = ?", r.roomKey, r.nameKey); err != nil {
			return fmt.Errorf("bans: %w", err)
		}
	}
	for _, r := range moved {
		if _, err := tx.ExecContext(ctx, "INSERT INTO bans (room_key, name_key, room, name, by_plugin, time) VALUES (?, ?, ?, ?, ?, ?)",
			r.roomKey, r.nameKey, r.room, r.name, r.by, r.time); err != nil {
			return fmt.Errorf("bans: %w", err)
		}
	}
	return nil
}

// rekeyNames re-keys the name bindings, the first by old key kept.
func (s *SQLite) rekeyNames(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		key, name, keyID string
		used             int64
	}
	rows, err := queryAll(ctx, tx, "SELECT key, name, key_id, last_used FROM names ORDER BY key", func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.key, &x.name, &x.keyID, &x.used)
	})
	if err != nil {
		return fmt.Errorf("names: %w", err)
	}
	kept := map[string]string{}
	var moved []row
	for _, r := range rows {
		key := chat.Fold(r.name)
		first, dup := kept[key]
		switch {
		case dup:
			s.log.Warn("name binding dropped: the name folds like another one's", "user", r.name, "key", r.keyID, "kept", first)
		case key != r.key:
			moved = append(moved, row{key, r.name, r.keyID, r.used})
		default:
			kept[key] = r.name
			continue
		}
		if !dup {
			kept[key] = r.name
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM names WHERE key = ?", r.key); err != nil {
			return fmt.Errorf("names: %w", err)
		}
	}
	for _, r := range moved {
		if _, err := tx.ExecContext(ctx, "INSERT INTO names (key, name, key_id, last_used) VALUES (?, ?, ?, ?)",
			r.key, r.name, r.keyID, r.used); err != nil {
			return fmt.Errorf("names: %w", err)
		}
	}
	return nil
}

// rekeyMessages moves each room's messages to the room's new key.
func rekeyMessages(ctx context.Context, tx *sql.Tx) error {
	type row struct{ key, room string }
	rows, err := queryAll(ctx, tx, "SELECT room_key, MIN(room) FROM messages GROUP BY room_key", func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.key, &x.room)
	})
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	for _, r := range rows {
		if key := chat.Fold(r.room); key != r.key {
			if _, err := tx.ExecContext(ctx, "UPDATE messages SET room_key = ? WHERE room_key = ?", key, r.key); err != nil {
				return fmt.Errorf("messages: %w", err)
			}
		}
	}
	return nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query in tx (a transaction or a pool) and returns its rows
// as scan reads them.
func queryAll[T any](ctx context.Context, tx querier, query string, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
	}
	return out, closeRows(rows)
}
