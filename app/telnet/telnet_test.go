package telnet_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/app/telnet"
	"chatserver/bots/helperbot"
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

// buggyConn is a connection with a bug in its handling: it panics in Read
// once it reads "boom", and in Write when it is to write "bang" to alice.
type buggyConn struct {
	net.Conn
	alice *atomic.Bool // this connection logged in as alice
}

func (c buggyConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if bytes.Contains(p[:n], []byte("boom")) {
		panic("bug in the reader")
	}
	return n, err
}

func (c buggyConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Logging in as alice")) {
		c.alice.Store(true)
	}
	if c.alice.Load() && bytes.Contains(p, []byte("bang")) {
		panic("bug in the writer")
	}
	return c.Conn.Write(p)
}

type buggyListener struct{ net.Listener }

func (l buggyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return buggyConn{Conn: c, alice: new(atomic.Bool)}, nil
}

// TestPanicEndsOneConnection: a panic in the reader, then in the writer,
// of alice's connection closes that connection only, logged with the
// stack, the user and the door; bob chats on, alice can come back, and the
// door shuts down as usual.
func TestPanicEndsOneConnection(t *testing.T) {
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), Plugins: []chat.Plugin{helperbot.New()}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log, out := apptest.NewLog()
	door, err := telnet.New(telnet.Config{Listener: buggyListener{ln}, Hub: hub, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- door.Run(ctx) }()
	addr := ln.Addr().String()

	bob := apptest.Login(t, addr, "bob")
	for _, tc := range []struct{ where, send, panic string }{
		{"reader", "boom", "bug in the reader"},
		{"writer", "", "bug in the writer"},
	} {
		alice := apptest.Login(t, addr, "alice")
		bob.Until("<helperbot> alice has joined the chat room!")
		if tc.send != "" {
			alice.Send(tc.send)
		} else {
			bob.Send("bang")
		}
		alice.Closed()
		bob.Until("<helperbot> alice has left the chat room!")
		line := out.WaitFor(t, `msg="panic, connection closed"`, "door=telnet user=alice", "in="+tc.where)
		if !strings.Contains(line, `panic="`+tc.panic+`"`) || !strings.Contains(line, "buggyConn") {
			t.Errorf("%s panic logged as %q, want the panic and its stack", tc.where, line)
		}
		bob.Send("/room")
		bob.Expect("<system> You're currently in the 'chat' room.")
	}
	hub.Shutdown() // ends the sessions, as the app does
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after shutdown: %v", err)
	}
}
