package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"chatserver/chat/store"
)

// DBFile is the database's file name in the data folder.
const DBFile = "chatserver.db"

// openDataDir creates the data folder, private to its owner, if it is
// missing, checks that it takes writes and locks it for this process.
func openDataDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	return lockDataDir(dir)
}

// checkWritable tells a data folder that cannot take files, with the
// reason, before SQLite finds it out with "unable to open database file".
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		if errors.Is(err, syscall.EROFS) {
			return fmt.Errorf("data folder %s is read-only", dir)
		}
		return fmt.Errorf("data folder %s is not writable: %w", dir, unwrapPath(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// unwrapPath drops the operation and path of an *fs.PathError, which the
// caller's message already names.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// openStore opens the SQLite store in cfg.DataDir.
func openStore(ctx context.Context, cfg Config) (*store.SQLite, error) {
	path := filepath.Join(cfg.DataDir, DBFile)
	db, err := store.Open(ctx, path, store.Options{HistoryPerRoom: cfg.HistoryPerRoom, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("store opened", "path", path, "schema", store.SchemaVersion)
	return db, nil
}

// closeStore closes the store New opened, once the doors have ended: the
// messages still queued are written first.
func (a *App) closeStore() error {
	if a.db == nil {
		return nil
	}
	if err := a.db.Close(); err != nil {
		a.log.Error("close store", "err", err)
		return err
	}
	return nil
}

// Backup writes a consistent copy of the database in dataDir to the new
// file dst. It may run while a server is using the database.
func Backup(ctx context.Context, dataDir, dst string) error {
	return store.Backup(ctx, filepath.Join(dataDir, DBFile), dst)
}
