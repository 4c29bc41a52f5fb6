package conncap

import "testing"

func TestFit(t *testing.T) {
	tests := []struct {
		name      string
		openFiles uint64
		doors     int
		want      int // the cap asked for
		fit       int
	}{
		{"fits", 1 << 20, 2, 50000, 50000},
		{"exactly", 100000 + 64 + 2*64, 2, 50000, 50000},
		{"one short", 100000 + 64 + 2*64 - 1, 2, 50000, 49999},
		{"20 000 files, two doors", 20000, 2, 50000, (20000 - 192) / 2},
		{"20 000 files, one door", 20000, 1, 50000, 20000 - 128},
		{"ulimit -n 1024", 1024, 2, 50000, (1024 - 192) / 2},
		{"less than the headroom", 100, 2, 50000, 1},
		{"no doors", 1024, 0, 50000, 50000},
		{"no limit known", 0, 2, 50000, 50000},
		{"unlimited", 1<<63 - 1, 2, 50000, 50000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fit(tc.openFiles, tc.doors, tc.want); got != tc.fit {
				t.Errorf("Fit(%d, %d, %d) = %d, want %d", tc.openFiles, tc.doors, tc.want, got, tc.fit)
			}
		})
	}
}
