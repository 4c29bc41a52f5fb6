//go:build linux

package telnet

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestAcceptedInheritSocketOptions: connections accepted from listen's
// listener have the bounded send buffer (a client that stops reading pins
// at most that much kernel memory) and TCP keepalive (a client that
// vanished is noticed), without a setsockopt of their own.
func TestAcceptedInheritSocketOptions(t *testing.T) {
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
	var size, keepalive, idle int
	rc.Control(func(fd uintptr) {
		size, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		keepalive, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		idle, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
	})
	if err != nil {
		t.Fatal(err)
	}
	if keepalive != 1 || idle != int(keepIdle/time.Second) {
		t.Errorf("accepted connection's keepalive is %d after %d s idle, want on after %v", keepalive, idle, keepIdle)
	}
	// Linux reports twice the size set, for its bookkeeping.
	if size != sendBuffer && size != 2*sendBuffer {
		t.Fatalf("accepted connection's send buffer is %d bytes, want %d", size, sendBuffer)
	}
}
