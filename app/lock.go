package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the lock file's name in the data folder: a running server
// holds a lock on it, and it holds that server's pid.
const LockFile = "chatserver.lock"

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked")

// dirLock is a data folder locked for this process.
type dirLock struct{ f *os.File }

// lockDataDir locks dir for this process, or says which process holds it.
// The lock is on the open file (flock), so it ends with the process even
// if the process is killed; the file itself is never removed, so that two
// servers cannot each lock a different file of the same name.
func lockDataDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data folder: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, inUse(dir)
		}
		return nil, fmt.Errorf("lock data folder %s: %w", dir, err)
	}
	// Only the lock's holder writes the file: the pid is read by the next
	// server that finds the folder locked.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// inUse is the error for a data folder another process has locked.
func inUse(dir string) error {
	b, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		return fmt.Errorf("data folder %s is in use by another chatserver (pid %d)", dir, pid)
	}
	return fmt.Errorf("data folder %s is in use by another chatserver", dir)
}

// release unlocks the folder; the file stays. Safe on nil.
func (l *dirLock) release() {
	if l != nil {
		l.f.Close() // closing the file ends the lock
	}
}
