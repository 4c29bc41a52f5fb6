package chat

import (
	"strings"
	"testing"
)

func TestLogName(t *testing.T) {
	a64 := strings.Repeat("a", 64)
	tests := []struct {
		name, in, want string
	}{
		{"short", "alice", "alice"},
		{"empty", "", ""},
		{"64 bytes", a64, a64},
		{"65 bytes", a64 + "b", a64 + "…(65 bytes)"},
		{"30 KB", strings.Repeat("x", 30<<10), strings.Repeat("x", 64) + "…(30720 bytes)"},
		{"cut inside a character", strings.Repeat("a", 63) + "é" + "z", strings.Repeat("a", 63) + "…(66 bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LogName(tc.in); got != tc.want {
				t.Errorf("LogName(%.20q…) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
