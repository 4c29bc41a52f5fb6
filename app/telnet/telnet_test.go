package telnet_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"chatserver/app/telnet"
	"chatserver/chat"
	"chatserver/chat/store"
)

// failingListener fails its first Accepts as a process out of file
// descriptors does, then accepts for real.
type failingListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

func TestAcceptErrorsDoNotStopTheDoor(t *testing.T) {
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.failures.Store(3)
	door, err := telnet.New(telnet.Config{Listener: fl, Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- door.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after shutdown: %v", err)
		}
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, chat.TextWelcome) {
		t.Fatalf("after 3 failed accepts, a client read %q, %v; want the welcome line", line, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v after accept errors", err)
	default:
	}
}
