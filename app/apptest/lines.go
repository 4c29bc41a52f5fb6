package apptest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// ExpectClosed fails the test unless the next lines are want, in order, and
// the server then closes the connection.
func (c *Client) ExpectClosed(want ...string) {
	c.t.Helper()
	c.Expect(want...)
	if rest := c.Closed(); len(rest) > 0 {
		c.t.Fatalf("lines before the close: %q", rest)
	}
}

// SendChunks writes b in writes of at most size bytes each, as a slow
// client or a fragmenting network would deliver it.
func (c *Client) SendChunks(b []byte, size int) {
	c.t.Helper()
	for len(b) > 0 {
		n := min(size, len(b))
		c.SendRaw(b[:n])
		b = b[n:]
	}
}

// SyncFlooded is Sync for a client that may be over its flood limit, whose
// sentinel may be dropped: it whispers itself (it is logged in as name)
// numbered pings, a new one whenever the last went unanswered for longer
// than the limiter needs to let a line through, until the newest ping comes
// back. Lines are in order, so nothing sent before it is still on its way.
// It returns the other lines that arrived meanwhile.
func (c *Client) SyncFlooded(name string) []string {
	c.t.Helper()
	const prefix = " whispered to you: sync-ping-"
	var before []string
	deadline := time.After(Wait)
	for n := 1; ; n++ {
		c.Send("/w " + name + " sync-ping-" + strconv.Itoa(n))
		retry := time.After(1100 * time.Millisecond)
	wait:
		for {
			select {
			case l, ok := <-c.lines:
				if !ok {
					c.t.Fatalf("connection closed while waiting for a sync ping")
				}
				_, num, isPing := strings.Cut(l, prefix)
				switch {
				case !isPing:
					before = append(before, l)
				case num == strconv.Itoa(n):
					return before
				}
			case <-retry:
				break wait
			case <-deadline:
				c.t.Fatalf("no answer to a sync ping within %v", Wait)
			}
		}
	}
}

// For returns c reporting its failures to t: for a subtest that uses a
// client its parent test dialled.
func (c *Client) For(t testing.TB) *Client {
	d := *c
	d.t = t
	return &d
}
