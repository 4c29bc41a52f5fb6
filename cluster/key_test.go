package cluster

import "testing"

func TestKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "anna", "anna"},
		{"digits and marks", "a_b-9", "a_b-9"},
		{"dot", "j.doe", "j=2Edoe"},
		{"folded upper case", "MIKE", "MIKE"},
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

// FuzzKey checks that a key holds only what NATS allows in a KV key and
// a subject token, and that Key is one to one (it can be undone).
func FuzzKey(f *testing.F) {
	for _, s := range []string{"anna", "j.doe", "ÉLODIE", "漢字abc", "a=b", "", "..", "*>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || c == '_' || c == '-' || c == '=') {
				t.Fatalf("Key(%q) = %q holds %q", s, k, c)
			}
		}
		if back, ok := unkey(k); !ok || back != s {
			t.Fatalf("Key(%q) = %q, undone %q (%v)", s, k, back, ok)
		}
	})
}
