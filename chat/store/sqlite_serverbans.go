package store

import (
	"context"
	"fmt"
	"time"

	"chatserver/chat"
)

// SaveServerBan records b, replacing the ban of a name that folds the
// same, which then counts as made last. It returns once the record is
// durable.
func (s *SQLite) SaveServerBan(ctx context.Context, b chat.ServerBanRecord) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store server ban of %s: %w", b.Name, err)
	}
	defer tx.Rollback()
	key := chat.Fold(b.Name)
	var until int64 // 0 for good
	if !b.Until.IsZero() {
		until = b.Until.UnixNano()
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM server_bans WHERE name_key = ?", key); err != nil {
		return fmt.Errorf("store server ban of %s: %w", b.Name, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO server_bans (name_key, name, key_id, addr, by_name, until, time)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, key, b.Name, b.KeyID, b.Addr, b.By, until, b.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store server ban of %s: %w", b.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store server ban of %s: %w", b.Name, err)
	}
	return nil
}

// DeleteServerBan removes the server ban of name, compared with
// chat.Fold. It returns once the removal is durable.
func (s *SQLite) DeleteServerBan(ctx context.Context, name string) error {
	if _, err := s.w.ExecContext(ctx, "DELETE FROM server_bans WHERE name_key = ?", chat.Fold(name)); err != nil {
		return fmt.Errorf("delete server ban of %s: %w", name, err)
	}
	return nil
}

// loadServerBans returns the server bans in the order they were made.
func (s *SQLite) loadServerBans(ctx context.Context) ([]chat.ServerBanRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, key_id, addr, by_name, until, time FROM server_bans ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("load server bans: %w", err)
	}
	var out []chat.ServerBanRecord
	for rows.Next() {
		var b chat.ServerBanRecord
		var until, t int64
		if err := rows.Scan(&b.Name, &b.KeyID, &b.Addr, &b.By, &until, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load server bans: %w", err)
		}
		if until != 0 {
			b.Until = time.Unix(0, until)
		}
		b.Time = time.Unix(0, t)
		out = append(out, b)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("load server bans: %w", err)
	}
	return out, nil
}
