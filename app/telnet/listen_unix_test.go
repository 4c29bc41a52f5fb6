//go:build unix

package telnet

import (
	"net"
	"syscall"
	"testing"
)

// TestAcceptedInheritSendBuffer: connections accepted from listen's
// listener have the bounded send buffer without a setsockopt of their
// own: a client that stops reading pins at most that much kernel memory.
func TestAcceptedInheritSendBuffer(t *testing.T) {
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size int
	rc.Control(func(fd uintptr) {
		size, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Linux reports twice the size set, for its bookkeeping.
	if size != sendBuffer && size != 2*sendBuffer {
		t.Fatalf("accepted connection's send buffer is %d bytes, want %d", size, sendBuffer)
	}
}
