package loadgen

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// bindNoPort lets a socket bound to a source address get its port at
// connect time, so that the port need only be unique per destination, not
// per source address (IP_BIND_ADDRESS_NO_PORT).
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var err error
	c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	return err
}
