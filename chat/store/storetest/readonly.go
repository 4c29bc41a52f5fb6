// Package storetest helps the tests of stores and of the data folder: it
// makes files and folders unwritable, even for root where the file system
// allows it.
package storetest

import (
	"os"
	"testing"
)

// ReadOnly makes path (a file or a folder) unwritable until the test ends: by
// its mode bits, and where that is not enough (root) by the immutable
// attribute. It reports false if it could not.
func ReadOnly(t testing.TB, path string) bool {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o400)
	if fi.IsDir() {
		mode = 0o500
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, fi.Mode().Perm()) })
	if !writable(path, fi.IsDir()) {
		return true
	}
	if err := setImmutable(path, true); err != nil {
		t.Logf("cannot make %s read-only for this user: %v", path, err)
		return false
	}
	t.Cleanup(func() { setImmutable(path, false) })
	return !writable(path, fi.IsDir())
}

func writable(path string, dir bool) bool {
	if dir {
		f, err := os.CreateTemp(path, "probe")
		if err != nil {
			return false
		}
		f.Close()
		os.Remove(f.Name())
		return true
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
