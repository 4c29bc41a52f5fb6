//go:build windows

package bench

import "syscall"

// control sets nothing on Windows: a stalled user keeps the default
// receive buffer there, so the server takes longer to find it stalled.
func (o sockOpts) control(_, _ string, _ syscall.RawConn) error { return nil }
