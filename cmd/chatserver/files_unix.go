//go:build unix

package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// raiseFileLimit raises the soft limit of open files to the hard one and
// returns the soft limit in force.
func raiseFileLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= lim.Max {
		return uint64(lim.Cur), nil
	}
	want := lim
	want.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		return uint64(lim.Cur), fmt.Errorf("from %d to %d: %w", lim.Cur, lim.Max, err)
	}
	return uint64(want.Cur), nil
}
