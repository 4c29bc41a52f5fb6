// Package proxied reads the PROXY protocol header (v1 or v2, as haproxy's
// send-proxy and send-proxy-v2 write it) that a TCP load balancer puts in
// front of each connection it passes on, so that a door sees the user's
// address, not the balancer's: the address every cap, ban, /whois line,
// log line and audit record uses.
//
// Only connections from the trusted sources (serve --proxy-from) are read
// for a header, and each of those must start with one; a connection from
// any other source is handed over untouched, a header it sends being just
// bytes of its own. The parsing is github.com/pires/go-proxyproto's.
package proxied

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/pires/go-proxyproto"
)

// HeaderTimeout bounds how long a connection from a trusted source has to
// send its header; the header's size is bounded by the library (107 bytes
// for v1, proxyproto.MaxV2HeaderSize for v2).
const HeaderTimeout = 5 * time.Second

// Listen wraps ln so that connections from the sources in from (addresses
// or CIDR ranges) are read for a PROXY header; with from empty it returns
// ln itself. A trusted connection is a *proxyproto.Conn whose header is
// read on first use: the door calls Resolve on it, off its accept loop.
func Listen(ln net.Listener, from []string) (net.Listener, error) {
	if len(from) == 0 {
		return ln, nil
	}
	policy, err := Policy(from)
	if err != nil {
		return nil, err
	}
	return &proxyproto.Listener{Listener: ln, ConnPolicy: policy, ReadHeaderTimeout: HeaderTimeout,
		ValidateHeader: validate}, nil
}

// Policy is the listener's policy for the trusted sources from: a header
// required from them (REQUIRE), none read from anyone else (SKIP: the
// connection is handed over as it was accepted). It checks from.
func Policy(from []string) (proxyproto.ConnPolicyFunc, error) {
	for _, s := range from {
		if _, _, err := net.ParseCIDR(s); err != nil && net.ParseIP(s) == nil {
			return nil, fmt.Errorf("proxy source %q: not an address or a CIDR range", s)
		}
	}
	p, err := proxyproto.PolicyFromRanges(from, proxyproto.REQUIRE, proxyproto.SKIP)
	if err != nil {
		return nil, fmt.Errorf("proxy sources %s: %w", strings.Join(from, ","), err)
	}
	return p, nil
}

// validate accepts a PROXY header carrying a TCP source address (TCP4 or
// TCP6). LOCAL (a balancer's own health check: ours go to /readyz on the
// metrics port instead) and UNKNOWN or non-TCP headers carry no user's
// address, so their connection is closed rather than served as the
// balancer's.
func validate(h *proxyproto.Header) error {
	if h.Command.IsLocal() {
		return fmt.Errorf("PROXY header: LOCAL command")
	}
	if _, ok := h.SourceAddr.(*net.TCPAddr); !ok {
		return fmt.Errorf("PROXY header: no TCP source address (%v)", h.TransportProtocol)
	}
	return nil
}

// Resolve reads the header of conn, if conn came from a trusted source
// (see Listen), waiting at most HeaderTimeout. It reports whether conn may
// be served: its RemoteAddr is then the user's. If not, conn is closed and
// a line logged; nothing was written to it.
func Resolve(conn net.Conn, door string, log *slog.Logger) bool {
	pc, ok := conn.(*proxyproto.Conn)
	if !ok {
		return true
	}
	if pc.ProxyHeader() != nil {
		return true
	}
	log.Warn("connection refused", "door", door, "addr", pc.Raw().RemoteAddr().String(),
		"reason", "a trusted proxy source sent no valid PROXY header within "+HeaderTimeout.String())
	pc.Close()
	return false
}

// Trusted reports whether conn came from a trusted source, so has a
// header to read (Resolve).
func Trusted(conn net.Conn) bool {
	_, ok := conn.(*proxyproto.Conn)
	return ok
}

// TCPConn is conn's TCP connection, under a PROXY header's wrapper or not.
func TCPConn(conn net.Conn) (*net.TCPConn, bool) {
	if pc, ok := conn.(*proxyproto.Conn); ok {
		return pc.TCPConn()
	}
	tc, ok := conn.(*net.TCPConn)
	return tc, ok
}
