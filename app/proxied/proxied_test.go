package proxied_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"chatserver/app/proxied"
)

// accepted listens on 127.0.0.1 with from trusted, connects from the
// local IP local, writes pre, and returns the server's side of it.
func accepted(t *testing.T, from []string, local string, pre []byte) net.Conn {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := proxied.Listen(raw, from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.ParseIP(local)}, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(pre); err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

var trusted = []string{"127.0.0.1/32", "10.1.2.3"}

func v2(t *testing.T, cmd proxyproto.ProtocolVersionAndCommand, src string) []byte {
	t.Helper()
	h := &proxyproto.Header{Version: 2, Command: cmd, TransportProtocol: proxyproto.TCPv4,
		SourceAddr: &net.TCPAddr{IP: net.ParseIP(src), Port: 4444}, DestinationAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}}
	if cmd == proxyproto.LOCAL {
		h.TransportProtocol, h.SourceAddr, h.DestinationAddr = proxyproto.UNSPEC, nil, nil
	}
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResolve: which connections from the trusted source are served, with
// which address, and that what follows the header is read as sent.
func TestResolve(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name, local string
		pre         []byte
		ok          bool
		addr        string // the served connection's remote IP
		rest        string // what it reads next
	}{
		{"v1", "127.0.0.1", []byte("PROXY TCP4 203.0.113.7 127.0.0.1 5555 8999\r\nanna\n"), true, "203.0.113.7", "anna\n"},
		{"v1 TCP6", "127.0.0.1", []byte("PROXY TCP6 2001:db8::7 ::1 5555 8999\r\nanna\n"), true, "2001:db8::7", "anna\n"},
		{"v2", "127.0.0.1", append(v2(t, proxyproto.PROXY, "198.51.100.9"), "SSH-2.0-x\r\n"...), true, "198.51.100.9", "SSH-2.0-x\r\n"},
		{"v2 LOCAL", "127.0.0.1", v2(t, proxyproto.LOCAL, ""), false, "", ""},
		{"v1 UNKNOWN", "127.0.0.1", []byte("PROXY UNKNOWN\r\nanna\n"), false, "", ""},
		{"no header", "127.0.0.1", []byte("anna\n"), false, "", ""},
		{"bad v1", "127.0.0.1", []byte("PROXY TCP4 203.0.113.999 127.0.0.1 5555 8999\r\n"), false, "", ""},
		{"untrusted: its header is its own bytes", "127.0.0.2", []byte("PROXY TCP4 203.0.113.7 127.0.0.1 5555 8999\r\n"), true, "127.0.0.2",
			"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8999\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := accepted(t, trusted, tt.local, tt.pre)
			if ok := proxied.Resolve(c, "telnet", log); ok != tt.ok {
				t.Fatalf("Resolve = %v, want %v", ok, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got := c.RemoteAddr().(*net.TCPAddr).IP.String(); got != tt.addr {
				t.Errorf("remote address %s, want %s", got, tt.addr)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := make([]byte, len(tt.rest))
			if _, err := io.ReadFull(bufio.NewReader(c), got); err != nil || string(got) != tt.rest {
				t.Errorf("then read %q, %v; want %q", got, err, tt.rest)
			}
		})
	}
}

// TestResolveSilent: a trusted source that sends nothing is closed after
// HeaderTimeout, not kept.
func TestResolveSilent(t *testing.T) {
	t.Parallel()
	c := accepted(t, trusted, "127.0.0.1", nil)
	start := time.Now()
	if proxied.Resolve(c, "ssh", slog.New(slog.DiscardHandler)) {
		t.Fatal("a silent connection from the balancer was served")
	}
	if d := time.Since(start); d < proxied.HeaderTimeout-time.Second || d > 3*proxied.HeaderTimeout {
		t.Errorf("given up after %v, want about %v", d, proxied.HeaderTimeout)
	}
}

// TestListenRanges: no sources, no wrapper; a source that is neither an
// address nor a range is refused.
func TestListenRanges(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if ln, err := proxied.Listen(raw, nil); err != nil || ln != raw {
		t.Errorf("Listen with no sources = %v, %v; want the listener itself", ln, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "haproxy", "", "10.0.0.1:80"} {
		if _, err := proxied.Listen(raw, []string{"127.0.0.1", bad}); err == nil {
			t.Errorf("Listen with source %q: no error", bad)
		}
	}
}
