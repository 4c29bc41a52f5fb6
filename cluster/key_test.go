package cluster

import "testing"

func TestKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "anna", "anna"},
		{"digits and marks", "a_b-9", "a_b-9"},
		{"dot", "j.doe", "j=2Edoe"},
		{"upper case escaped", "A", "=41"},
		{"equals escaped", "=41", "=3D41"},
		{"non-ascii", "é", "=C3=A9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Key(tc.in); got != tc.want {
				t.Errorf("Key(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
