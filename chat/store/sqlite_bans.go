package store

import (
	"context"
	"fmt"
	"time"

	"chatserver/chat"
)

// unixNano returns t in Unix nanoseconds, 0 for the zero time (a ban or
// mute for good).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the inverse of unixNano.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// SaveBan records b, replacing an earlier ban of the same user from the
// same room. It returns once the record is durable.
func (s *SQLite) SaveBan(ctx context.Context, b chat.BanRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO bans (room_key, name_key, room, name, by_plugin, time, until, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_key, name_key) DO UPDATE SET room = excluded.room, name = excluded.name,
			by_plugin = excluded.by_plugin, time = excluded.time, until = excluded.until, key_id = excluded.key_id`,
		chat.Fold(b.Room), chat.Fold(b.Name), b.Room, b.Name, b.By, b.Time.UnixNano(), unixNano(b.Until), b.KeyID)
	if err != nil {
		return fmt.Errorf("store ban of %s from %s: %w", b.Name, b.Room, err)
	}
	return nil
}

// DeleteBan removes the ban of name from room, both compared with
// chat.Fold. It returns once the removal is durable.
func (s *SQLite) DeleteBan(ctx context.Context, room, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM bans WHERE room_key = ? AND name_key = ?", chat.Fold(room), chat.Fold(name))
	if err != nil {
		return fmt.Errorf("delete ban of %s from %s: %w", name, room, err)
	}
	return nil
}

// SaveMute records m, replacing an earlier mute of the same user in the
// same room. It returns once the record is durable.
func (s *SQLite) SaveMute(ctx context.Context, m chat.MuteRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO mutes (room_key, name_key, room, name, until, time) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_key, name_key) DO UPDATE SET room = excluded.room, name = excluded.name,
			until = excluded.until, time = excluded.time`,
		chat.Fold(m.Room), chat.Fold(m.Name), m.Room, m.Name, unixNano(m.Until), m.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store mute of %s in %s: %w", m.Name, m.Room, err)
	}
	return nil
}

// DeleteMute removes the mute of name in room, both compared with
// chat.Fold. It returns once the removal is durable.
func (s *SQLite) DeleteMute(ctx context.Context, room, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM mutes WHERE room_key = ? AND name_key = ?", chat.Fold(room), chat.Fold(name))
	if err != nil {
		return fmt.Errorf("delete mute of %s in %s: %w", name, room, err)
	}
	return nil
}

// loadBans returns every ban, those that have ended included (the engine
// drops them), by room and in the order they were made.
func (s *SQLite) loadBans(ctx context.Context) ([]chat.BanRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT room, name, by_plugin, time, until, key_id FROM bans ORDER BY room_key, time")
	if err != nil {
		return nil, fmt.Errorf("load bans: %w", err)
	}
	var out []chat.BanRecord
	for rows.Next() {
		var b chat.BanRecord
		var t, until int64
		if err := rows.Scan(&b.Room, &b.Name, &b.By, &t, &until, &b.KeyID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load bans: %w", err)
		}
		b.Time, b.Until = time.Unix(0, t), fromUnixNano(until)
		out = append(out, b)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("load bans: %w", err)
	}
	return out, nil
}

// loadMutes returns every mute, those that have ended included.
func (s *SQLite) loadMutes(ctx context.Context) ([]chat.MuteRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT room, name, time, until FROM mutes ORDER BY room_key, time")
	if err != nil {
		return nil, fmt.Errorf("load mutes: %w", err)
	}
	var out []chat.MuteRecord
	for rows.Next() {
		var m chat.MuteRecord
		var t, until int64
		if err := rows.Scan(&m.Room, &m.Name, &t, &until); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load mutes: %w", err)
		}
		m.Time, m.Until = time.Unix(0, t), fromUnixNano(until)
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("load mutes: %w", err)
	}
	return out, nil
}
