package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database at src to dst, which must
// not exist yet. It may run while a server has src open: it reads one
// snapshot of the file (VACUUM INTO, on its own connection) while the
// server goes on writing. The copy is written beside dst, synced, then
// renamed to dst, so dst is either complete or absent.
func Backup(ctx context.Context, src, dst string) error {
	if err := backup(ctx, src, dst); err != nil {
		return fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	return nil
}

func backup(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return err // a missing database is not created here
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: "mode=rw&_error_rc=1&_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // after the rename, there is nothing to remove
	// VACUUM INTO wants a missing or empty file; the empty one reserves the name.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return err
	}
	var check string
	if err := checkFile(ctx, tmpName, &check); err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("check the copy: %s", check)
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return err
	}
	return syncFile(filepath.Dir(dst))
}

// checkFile runs SQLite's integrity check on the file at path.
func checkFile(ctx context.Context, path string, result *string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&_error_rc=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(result)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
