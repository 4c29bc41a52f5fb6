//go:build linux

package telnet

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Keepalive of the accepted connections: Go's defaults for a TCP
// connection, so that a client that vanished (unplugged, NAT state gone)
// is noticed within about 2.5 minutes of silence.
const (
	keepIdle     = 15 * time.Second
	keepInterval = 15 * time.Second
	keepCount    = 9
)

// listen listens on addr with the socket options of every connection it
// will accept set once, on the listening socket, which accepted sockets
// inherit: the bounded send buffer and TCP keepalive. Go would otherwise
// set keepalive with four setsockopt calls on each accepted connection,
// and the send buffer took one more: five of the nineteen system calls
// of a telnet login.
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) { err = setListenerOptions(int(fd)) }); cerr != nil {
			return cerr
		}
		return err
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// setListenerOptions sets on fd what accepted connections inherit.
func setListenerOptions(fd int) error {
	for _, o := range []struct {
		name       string
		level, opt int
		value      int
	}{
		{"send buffer", syscall.SOL_SOCKET, syscall.SO_SNDBUF, sendBuffer},
		{"keepalive", syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
		{"keepalive idle", syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, int(keepIdle / time.Second)},
		{"keepalive interval", syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, int(keepInterval / time.Second)},
		{"keepalive count", syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, keepCount},
	} {
		if err := syscall.SetsockoptInt(fd, o.level, o.opt, o.value); err != nil {
			return fmt.Errorf("set %s: %w", o.name, err)
		}
	}
	return nil
}

// inheritsSendBuffer reports whether connections accepted from listeners
// made by listen already have their send buffer set.
const inheritsSendBuffer = true
