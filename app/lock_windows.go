//go:build windows

package app

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock takes an exclusive lock on f without waiting: errLocked if
// another handle holds it. The locked range lies far past the pid, which
// other processes must still be able to read.
func tryLock(f *os.File) error {
	ol := windows.Overlapped{Offset: 0, OffsetHigh: 1} // byte 4 GiB
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}
