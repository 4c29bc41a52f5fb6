package store

import (
	"context"
	"fmt"
	"time"

	"chatserver/chat"
)

// Ignores returns the names the user called name (compared with
// chat.Fold) ignores, in the order ignored.
func (s *SQLite) Ignores(ctx context.Context, name string) ([]chat.IgnoreRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ignored, time FROM ignores WHERE name_key = ?
		ORDER BY time, ignored_key`, chat.Fold(name))
	if err != nil {
		return nil, fmt.Errorf("read ignores of %s: %w", name, err)
	}
	var out []chat.IgnoreRecord
	for rows.Next() {
		r := chat.IgnoreRecord{Name: name}
		var t int64
		if err := rows.Scan(&r.Ignored, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read ignores of %s: %w", name, err)
		}
		r.Time = time.Unix(0, t)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read ignores of %s: %w", name, err)
	}
	return out, nil
}

// SaveIgnore records that r.Name ignores r.Ignored, replacing a record of a
// name that folds the same. It returns once the record is durable.
func (s *SQLite) SaveIgnore(ctx context.Context, r chat.IgnoreRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ignores (name_key, ignored_key, ignored, time) VALUES (?, ?, ?, ?)
		ON CONFLICT (name_key, ignored_key) DO UPDATE SET ignored = excluded.ignored, time = excluded.time`,
		chat.Fold(r.Name), chat.Fold(r.Ignored), r.Ignored, r.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store that %s ignores %s: %w", r.Name, r.Ignored, err)
	}
	return nil
}

// DeleteIgnore removes the record that name ignores ignored, both compared
// with chat.Fold. It returns once the removal is durable.
func (s *SQLite) DeleteIgnore(ctx context.Context, name, ignored string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM ignores WHERE name_key = ? AND ignored_key = ?", chat.Fold(name), chat.Fold(ignored))
	if err != nil {
		return fmt.Errorf("delete that %s ignores %s: %w", name, ignored, err)
	}
	return nil
}

// DeleteIgnores removes every name the user called name ignores. It
// returns once the removal is durable.
func (s *SQLite) DeleteIgnores(ctx context.Context, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM ignores WHERE name_key = ?", chat.Fold(name))
	if err != nil {
		return fmt.Errorf("delete the ignores of %s: %w", name, err)
	}
	return nil
}
