package bench

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func (o sockOpts) control(_, _ string, c syscall.RawConn) error {
	var err error
	c.Control(func(fd uintptr) {
		if o.bindNoPort {
			// A socket bound to a source address then gets its port at
			// connect time, unique per destination rather than per source
			// address.
			err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		}
		if o.smallRcvBuf && err == nil {
			// The kernel doubles it and rounds it up to its minimum; set
			// before connect, it also caps the window the server sees.
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 1)
		}
	})
	return err
}
