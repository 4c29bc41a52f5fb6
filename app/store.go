package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"chatserver/chat/store"
)

// DBFile is the database's file name in the data folder.
const DBFile = "chatserver.db"

// openStore opens the SQLite store in cfg.DataDir, creating the folder,
// private to its owner, if it is missing.
func openStore(ctx context.Context, cfg Config) (*store.SQLite, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(cfg.DataDir, DBFile)
	db, err := store.Open(ctx, path, store.Options{HistoryPerRoom: cfg.HistoryPerRoom, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("store opened", "path", path, "schema", store.SchemaVersion)
	return db, nil
}

// closeOnError closes db if *err is set: for New, which must not leave the
// store open when a later step fails.
func closeOnError(db *store.SQLite, err *error) {
	if *err != nil {
		db.Close()
	}
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
