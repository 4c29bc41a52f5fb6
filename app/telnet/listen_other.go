//go:build !linux

package telnet

import "net"

// listen listens on addr; each accepted connection sets its send buffer.
func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// inheritsSendBuffer reports whether connections accepted from listeners
// made by listen already have their send buffer set.
const inheritsSendBuffer = false
