//go:build unix

package telnet

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// listen listens on addr with the send buffer of every connection it will
// accept set once, on the listening socket, which accepted sockets inherit:
// one setsockopt a server, not one a login (11 % of a login's CPU).
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, sendBuffer)
		}); cerr != nil {
			return cerr
		}
		if err != nil {
			return fmt.Errorf("set send buffer: %w", err)
		}
		return nil
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// inheritsSendBuffer reports whether connections accepted from listeners
// made by listen already have their send buffer set.
const inheritsSendBuffer = true
