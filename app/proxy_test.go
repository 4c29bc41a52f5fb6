package app_test

import (
	"net"
	"testing"

	"github.com/pires/go-proxyproto"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
)

// proxyV1 is the v1 header a balancer sends for a user at src.
func proxyV1(src string) string { return "PROXY TCP4 " + src + " 127.0.0.1 5555 8999\r\n" }

// dialProxied connects to the telnet door at addr from 127.0.0.1 (the
// trusted balancer of the tests) and sends the v1 header of a user at src.
func dialProxied(t *testing.T, addr, src string) *apptest.Client {
	t.Helper()
	c := apptest.DialFrom(t, addr, "127.0.0.1")
	c.SendRaw([]byte(proxyV1(src)))
	return c
}

// loginProxied logs name in through the balancer as a user at src.
func loginProxied(t *testing.T, addr, src, name string) *apptest.Client {
	t.Helper()
	c := dialProxied(t, addr, src)
	c.Welcome()
	c.Send(name)
	c.Expect("<system> Logging in as "+name, joinLine(name))
	return c
}

// dialSSHProxied opens a session without a pty as user with key on the
// SSH door at addr from 127.0.0.1, after a v2 header of a user at src.
func dialSSHProxied(t *testing.T, addr, src, user string, key gossh.Signer) *apptest.SSHLines {
	t.Helper()
	nc, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, mustTCPAddr(t, addr))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	h := proxyproto.HeaderProxyFromAddrs(2, mustTCPAddr(t, src), nc.RemoteAddr())
	if _, err := h.WriteTo(nc); err != nil {
		t.Fatalf("PROXY v2 header: %v", err)
	}
	cfg := &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}, Timeout: apptest.Wait,
		HostKeyCallback: gossh.InsecureIgnoreHostKey()}
	conn, chans, reqs, err := gossh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		t.Fatalf("ssh through the balancer: %v", err)
	}
	sc := gossh.NewClient(conn, chans, reqs)
	t.Cleanup(func() { sc.Close() })
	return apptest.LinesOn(t, sc)
}

func mustTCPAddr(t *testing.T, s string) *net.TCPAddr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestProxyProtocol: with --proxy-from 127.0.0.1/32, a user through the
// balancer (127.0.0.1) is known by the address of its PROXY header, v1 on
// telnet, v2 on SSH: /whois shows it, /gban bans it (not the balancer:
// another user through it still gets in), and the ban holds right after
// accept. A connection from the balancer without a header is closed,
// logged, and nobody else notices; one from another source is served as
// ever.
func TestProxyProtocol(t *testing.T) {
	t.Parallel()
	opKey, daveKey := apptest.NewKey(t), apptest.NewKey(t)
	cfg := opsConfig(t, opKey)
	cfg.ProxyFrom = []string{"127.0.0.1/32"}
	log, out := apptest.NewLog()
	cfg.Logger = log
	srv := apptest.Start(t, cfg)

	// The operator comes from elsewhere: no header read, none needed.
	root := apptest.DialSSHLinesFrom(t, srv.SSH, "127.0.0.5", "root", opKey)
	root.Expect("<system> Welcome to the chat room!", "<system> Logging in as root", joinLine("root"))

	troll := loginProxied(t, srv.Telnet, "203.0.113.7", "troll")
	root.Expect(joinLine("troll"))
	dave := dialSSHProxied(t, srv.SSH, "198.51.100.9:4444", "dave", daveKey)
	dave.Expect("<system> Welcome to the chat room!", "<system> Logging in as dave", joinLine("dave"))
	root.Expect(joinLine("dave"))
	troll.Expect(joinLine("dave"))

	root.Send("/whois troll")
	root.Until("<system> troll: from 203.0.113.7")
	root.Send("/whois dave")
	root.Until("<system> dave: from 198.51.100.9")

	// From the balancer without a header: closed, nothing said, logged.
	apptest.DialFrom(t, srv.Telnet, "127.0.0.1").SendRaw([]byte("mallory\r\n"))
	out.WaitFor(t, "connection refused", "door=telnet", "addr=127.0.0.1:", "no valid PROXY header")
	bare := apptest.DialFrom(t, srv.Telnet, "127.0.0.1")
	bare.Send("mallory")
	bare.ExpectClosed()
	allQuiet(root.Client, troll, dave.Client)

	gbanned(root.Client, dave.Client, troll, "/gban troll", "troll", "<helperbot> troll is banned from this server.")
	root.Send("/gbans")
	root.Expect("<helperbot> Banned from this server:", "<helperbot> 1. troll from 203.0.113.7 (for good)")
	// The user's address is kept out right after accept; the balancer's
	// other users are not.
	dialProxied(t, srv.Telnet, "203.0.113.7").ExpectClosed(lineServerBanned)
	loginProxied(t, srv.Telnet, "203.0.113.8", "erin")
	root.Expect(joinLine("erin"))
	dave.Expect(joinLine("erin"))
}

// TestProxyProtocolOff: without --proxy-from no header is read: a PROXY
// line is what the user typed, a bad name; and a bad --proxy-from stops
// the server at start.
func TestProxyProtocolOff(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	c := dialProxied(t, srv.Telnet, "203.0.113.7")
	c.Welcome()
	c.Expect("<system> Username must be less than 20 characters.")
	c.Send("erin")
	c.Until(joinLine("erin"))

	cfg := apptest.Config(t)
	cfg.ProxyFrom = []string{"10.0.0.0/33"}
	if _, err := app.New(t.Context(), cfg); err == nil {
		t.Fatal("app.New with --proxy-from 10.0.0.0/33: no error")
	}
}

// TestProxyProtocolCaps: the per-address cap counts users' addresses, not
// the balancer's: with --max-conns-per-ip 1, two users through the one
// balancer both get in, and a second connection of one of them is told
// it has too many.
func TestProxyProtocolCaps(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.ProxyFrom, cfg.MaxConnsPerIP = []string{"127.0.0.1"}, 1
	srv := apptest.Start(t, cfg)
	anna := loginProxied(t, srv.Telnet, "203.0.113.7", "anna")
	loginProxied(t, srv.Telnet, "203.0.113.8", "bob")
	anna.Expect(joinLine("bob"))
	dialProxied(t, srv.Telnet, "203.0.113.7").ExpectClosed("<system> Too many connections, please try again later.")
	allQuiet(anna)
}
