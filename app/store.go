package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

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

// openStore opens the SQLite store in cfg.DataDir; observeBatch, if set,
// times its batches of messages.
func openStore(ctx context.Context, cfg Config, observeBatch func(time.Duration)) (*store.SQLite, error) {
	path := filepath.Join(cfg.DataDir, DBFile)
	db, err := store.Open(ctx, path, store.Options{HistoryPerRoom: cfg.HistoryPerRoom, Logger: cfg.Logger, ObserveBatch: observeBatch})
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("store opened", "path", path, "schema", store.SchemaVersion)
	return db, nil
}

// closeStore closes the store New opened, once the doors have ended: the
// messages still queued are written first, unless ctx ends before.
func (a *App) closeStore(ctx context.Context) error {
	if a.db == nil {
		return nil
	}
	if err := a.db.CloseContext(ctx); err != nil {
		a.log.Error("close store", "err", err)
		return err
	}
	return nil
}

// HostKeyBackupSuffix is added to a backup's file name for the copy of the
// SSH host key beside it.
const HostKeyBackupSuffix = ".host_key"

// Backup writes a consistent copy of the database in dataDir to the new
// file dst, and a copy of the SSH host key, if there is one, to the new
// file dst+HostKeyBackupSuffix, private to its owner; it returns the
// latter's name, or "" if there was no key. It may run while a server is
// using the data folder, and leaves the folder's lock alone.
func Backup(ctx context.Context, dataDir, dst string) (hostKey string, err error) {
	key, err := os.ReadFile(filepath.Join(dataDir, HostKeyFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("back up the host key: %w", err)
	}
	keyDst := dst + HostKeyBackupSuffix
	if key != nil {
		if _, err := os.Lstat(keyDst); err == nil {
			return "", fmt.Errorf("back up the host key: %s already exists", keyDst)
		}
	}
	if err := store.Backup(ctx, filepath.Join(dataDir, DBFile), dst); err != nil {
		return "", err
	}
	if key == nil {
		return "", nil
	}
	if err := writeNew(keyDst, key); err != nil {
		return "", fmt.Errorf("back up the host key: %w", err)
	}
	return keyDst, nil
}

// writeNew writes b to the new file path, mode 0600: to a file beside it,
// synced, then renamed, so that path is either complete or absent.
func writeNew(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, there is nothing to remove
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
