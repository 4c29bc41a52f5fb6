package sshd

import (
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// TestStallGuard: a write stuck on a client that stopped reading cuts the
// connection once the timeout has passed; a session that writes steadily
// for many timeouts, each write quick, is never cut; and an idle session
// leaves no timer running.
func TestStallGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = time.Second
		server, client := net.Pipe()
		defer client.Close()
		c := &conn{Conn: server}
		g := &stallGuard{w: server, c: c, timeout: timeout}

		go io.Copy(io.Discard, client) // a client that reads
		start := time.Now()
		for time.Since(start) < 5*timeout {
			if _, err := g.Write([]byte("a line\r\n")); err != nil {
				t.Fatalf("a steady writer was cut after %v: %v", time.Since(start), err)
			}
			time.Sleep(timeout / 4)
		}
		time.Sleep(2 * timeout)
		synctest.Wait()
		g.watch.Lock()
		armed := g.armed
		g.watch.Unlock()
		if armed {
			t.Error("the timer still runs for an idle session")
		}

		stalled, reader := net.Pipe()
		defer reader.Close()
		c = &conn{Conn: stalled}
		g = &stallGuard{w: stalled, c: c, timeout: timeout}
		start = time.Now()
		_, err := g.Write([]byte("nobody reads this")) // blocks: the other end never reads
		if err == nil {
			t.Fatal("a write nobody read returned without error")
		}
		if took := time.Since(start); took < timeout || took > timeout+timeout/10 {
			t.Fatalf("the stalled write was cut after %v, want %v", took, timeout)
		}
	})
}
