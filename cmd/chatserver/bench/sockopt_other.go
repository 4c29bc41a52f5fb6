//go:build !linux && !windows

package bench

import "syscall"

func (o sockOpts) control(_, _ string, c syscall.RawConn) error {
	if !o.smallRcvBuf {
		return nil
	}
	var err error
	c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1)
	})
	return err
}
