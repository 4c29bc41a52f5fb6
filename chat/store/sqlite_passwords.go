package store

import (
	"context"
	"fmt"
	"time"

	"chatserver/chat"
)

// Passwords returns every name's password record, by name.
func (s *SQLite) Passwords(ctx context.Context) ([]chat.PasswordRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, hash, time FROM passwords ORDER BY name_key")
	if err != nil {
		return nil, fmt.Errorf("read passwords: %w", err)
	}
	var out []chat.PasswordRecord
	for rows.Next() {
		var r chat.PasswordRecord
		var t int64
		if err := rows.Scan(&r.Name, &r.Hash, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read passwords: %w", err)
		}
		r.Time = time.Unix(0, t)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read passwords: %w", err)
	}
	return out, nil
}

// SavePassword records r, replacing the record of a name that folds the
// same. It returns once the record is durable.
func (s *SQLite) SavePassword(ctx context.Context, r chat.PasswordRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO passwords (name_key, name, hash, time) VALUES (?, ?, ?, ?)
		ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, hash = excluded.hash, time = excluded.time`,
		chat.Fold(r.Name), r.Name, r.Hash, r.Time.UnixNano())
	if err != nil {
		return fmt.Errorf("store the password of %s: %w", r.Name, err)
	}
	return nil
}

// ReleaseName frees the name called name (compared with chat.Fold) for
// anyone: it forgets the SSH key that owns it, its password, its ignore
// list and the messages kept for it while offline, all or none. It
// reports whether the name was protected (owned or with a password). The
// engine keeps names in memory, so only a store no server has open may be
// changed this way (chatserver names release).
func (s *SQLite) ReleaseName(ctx context.Context, name string) (bool, error) {
	key := chat.Fold(chat.Normalize(name))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("release name %s: %w", name, err)
	}
	defer tx.Rollback()
	protected := false
	for i, q := range []string{
		"DELETE FROM names WHERE key = ?", // the first two protect a name
		"DELETE FROM passwords WHERE name_key = ?",
		"DELETE FROM ignores WHERE name_key = ?",
		"DELETE FROM offline WHERE name_key = ?",
	} {
		res, err := tx.ExecContext(ctx, q, key)
		if err != nil {
			return false, fmt.Errorf("release name %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n > 0 && i < 2 {
			protected = true
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("release name %s: %w", name, err)
	}
	return protected, nil
}
