package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chatserver/chat"
)

// LoadRights returns the topics and locks of the rooms that have one, the
// names made admin with /op and the invitations, each in the order made.
func (s *SQLite) LoadRights(ctx context.Context) (chat.RightsSnapshot, error) {
	var snap chat.RightsSnapshot
	var err error
	snap.Rooms, err = queryAll(ctx, s.r, "SELECT name, topic, locked FROM rooms WHERE topic != '' OR locked != 0 ORDER BY id",
		func(rows *sql.Rows) (rr chat.RoomRights, err error) {
			return rr, rows.Scan(&rr.Room, &rr.Topic, &rr.Locked)
		})
	if err != nil {
		return snap, fmt.Errorf("load topics and locks: %w", err)
	}
	snap.Admins, err = queryAll(ctx, s.r, "SELECT room, name, by_name, time FROM admins ORDER BY room_key, time",
		func(rows *sql.Rows) (a chat.AdminRecord, err error) {
			var t int64
			err = rows.Scan(&a.Room, &a.Name, &a.By, &t)
			a.Time = time.Unix(0, t)
			return a, err
		})
	if err != nil {
		return snap, fmt.Errorf("load admins: %w", err)
	}
	snap.Invites, err = queryAll(ctx, s.r, "SELECT room, name, by_name, told, time FROM invites ORDER BY room_key, time",
		func(rows *sql.Rows) (i chat.InviteRecord, err error) {
			var t int64
			err = rows.Scan(&i.Room, &i.Name, &i.By, &i.Told, &t)
			i.Time = time.Unix(0, t)
			return i, err
		})
	if err != nil {
		return snap, fmt.Errorf("load invitations: %w", err)
	}
	return snap, nil
}

// SetTopic records room's topic, "" for none. The room chat.DefaultRoom,
// which has no row of its own (CreateRoom never sees it), gets one, with
// no creator, to hold it.
func (s *SQLite) SetTopic(ctx context.Context, room, topic string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO rooms (key, name, creator, created, topic) VALUES (?, ?, '', 0, ?)
		ON CONFLICT (key) DO UPDATE SET topic = excluded.topic`, chat.Fold(room), room, topic)
	if err != nil {
		return fmt.Errorf("store topic of %s: %w", room, err)
	}
	return nil
}

// SetLocked records whether room is invite-only; unlocking it forgets its
// invitations, in the same transaction.
func (s *SQLite) SetLocked(ctx context.Context, room string, locked bool) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE rooms SET locked = ? WHERE key = ?", locked, chat.Fold(room)); err != nil {
			return err
		}
		if locked {
			return nil
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM invites WHERE room_key = ?", chat.Fold(room))
		return err
	})
	if err != nil {
		return fmt.Errorf("store lock of %s (%v): %w", room, locked, err)
	}
	return nil
}

// inTx runs f in a transaction of the writing connection, committed if f
// returns nil.
func (s *SQLite) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// SaveAdmin records a, replacing a record of the same room and folded name.
func (s *SQLite) SaveAdmin(ctx context.Context, a chat.AdminRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO admins (room_key, name_key, room, name, by_name, time) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_key, name_key) DO UPDATE SET room = excluded.room, name = excluded.name,
			by_name = excluded.by_name, time = excluded.time`,
		chat.Fold(a.Room), chat.Fold(a.Name), a.Room, a.Name, a.By, a.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store admin %s of %s: %w", a.Name, a.Room, err)
	}
	return nil
}

// DeleteAdmin removes the admin record of name from room, both compared
// with chat.Fold.
func (s *SQLite) DeleteAdmin(ctx context.Context, room, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM admins WHERE room_key = ? AND name_key = ?", chat.Fold(room), chat.Fold(name))
	if err != nil {
		return fmt.Errorf("delete admin %s of %s: %w", name, room, err)
	}
	return nil
}

// SaveInvite records i, replacing an invitation of the same room and
// folded name.
func (s *SQLite) SaveInvite(ctx context.Context, i chat.InviteRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO invites (room_key, name_key, room, name, by_name, told, time) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_key, name_key) DO UPDATE SET room = excluded.room, name = excluded.name,
			by_name = excluded.by_name, told = excluded.told, time = excluded.time`,
		chat.Fold(i.Room), chat.Fold(i.Name), i.Room, i.Name, i.By, i.Told, i.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store invitation of %s to %s: %w", i.Name, i.Room, err)
	}
	return nil
}
