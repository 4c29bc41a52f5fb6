package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"chatserver/chat"
)

// SaveAudit appends r to the audit log. It returns once it is durable.
func (s *SQLite) SaveAudit(ctx context.Context, r chat.AuditRecord) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit (time, actor, actor_key, actor_addr, action, target, room, args)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Time.UnixNano(), r.Actor, r.ActorKey, r.ActorAddr, r.Action, r.Target, r.Room, r.Args)
	if err != nil {
		return fmt.Errorf("record %s of %s by %s: %w", r.Action, r.Target, r.Actor, err)
	}
	return nil
}

// AuditFilter selects records of the audit log; its zero value selects all.
type AuditFilter struct {
	Room  string    // only acts in this room (compared with chat.Fold); "" for any
	Actor string    // only acts by this name (compared with chat.Fold); "" for anyone
	Since time.Time // only acts made at or after it; zero for all
}

// match reports whether r passes f's name filters (the time is filtered in SQL).
func (f AuditFilter) match(r chat.AuditRecord) bool {
	return (f.Room == "" || chat.Fold(f.Room) == chat.Fold(r.Room)) &&
		(f.Actor == "" || chat.Fold(f.Actor) == chat.Fold(r.Actor))
}

// auditVersion is the first schema version with the audit log.
const auditVersion = 8

// ReadAudit returns the records of the audit log in the database at path
// that pass f, oldest first. It opens the file read-only, on its own
// connection, so it may run while a server has the file open and writes
// to it (WAL lets a reader see the last commit beside the writer); it
// takes no lock of the server's and never creates or migrates the file,
// nor, with no server running, the -wal and -shm files beside it.
func ReadAudit(ctx context.Context, path string, f AuditFilter) ([]chat.AuditRecord, error) {
	out, err := readAudit(ctx, path, f)
	if err != nil {
		return nil, fmt.Errorf("read the audit log of %s: %w", path, err)
	}
	return out, nil
}

func readAudit(ctx context.Context, path string, f AuditFilter) ([]chat.AuditRecord, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, unwrapPath(err) // a missing database is not created here
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	params := "mode=ro&_error_rc=1&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		// No server has the file open: read it as it is, creating no
		// -wal or -shm beside it, which would be the reader's (root's,
		// say) and could keep the server's own user from opening it.
		params += "&immutable=1"
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: params}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return nil, err
	}
	if v < auditVersion {
		return nil, nil // no audit log yet: the server has not run this version
	}
	var since int64
	if !f.Since.IsZero() {
		since = f.Since.UnixNano()
	}
	rows, err := db.QueryContext(ctx, `SELECT time, actor, actor_key, actor_addr, action, target, room, args
		FROM audit WHERE time >= ? ORDER BY time, id`, since)
	if err != nil {
		return nil, err
	}
	var out []chat.AuditRecord
	for rows.Next() {
		var r chat.AuditRecord
		var t int64
		if err := rows.Scan(&t, &r.Actor, &r.ActorKey, &r.ActorAddr, &r.Action, &r.Target, &r.Room, &r.Args); err != nil {
			rows.Close()
			return nil, err
		}
		r.Time = time.Unix(0, t)
		if f.match(r) {
			out = append(out, r)
		}
	}
	return out, closeRows(rows)
}
