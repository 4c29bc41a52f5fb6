package conncap_test

import (
	"net"
	"testing"

	"chatserver/app/conncap"
)

func TestCaps(t *testing.T) {
	c := conncap.New(3, 2)
	steps := []struct {
		take bool // else give
		ip   string
		want bool
	}{
		{true, "10.0.0.1", true},
		{true, "10.0.0.1", true},
		{true, "10.0.0.1", false}, // per-address cap
		{true, "10.0.0.2", true},
		{true, "10.0.0.3", false}, // total cap
		{false, "10.0.0.1", true},
		{true, "10.0.0.3", true}, // room again
		{true, "10.0.0.1", false},
	}
	for i, s := range steps {
		if !s.take {
			c.Give(s.ip)
			continue
		}
		if got := c.Take(s.ip); got != s.want {
			t.Errorf("step %d: Take(%s) = %v, want %v", i, s.ip, got, s.want)
		}
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.7"), Port: 4242}, "127.0.0.7"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 22}, "::1"},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, "/tmp/sock"},
	}
	for _, tc := range tests {
		if got := conncap.Host(tc.addr); got != tc.want {
			t.Errorf("Host(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
