package metrics

import "testing"

// TestAddr: a bare port or one without a host is
// loopback's; a named interface is kept.
func TestAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"9464", "127.0.0.1:9464"},
		{":9464", "127.0.0.1:9464"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::]:9464", "[::]:9464"},
		{"10.1.2.3:9464", "10.1.2.3:9464"},
	} {
		got, err := Addr(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Addr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"host:", "a:b:c"} {
		if got, err := Addr(bad); err == nil {
			t.Errorf("Addr(%q) = %q, want an error", bad, got)
		}
	}
}
