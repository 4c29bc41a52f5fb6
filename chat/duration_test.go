package chat_test

import (
	"testing"
	"time"

	"chatserver/chat"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		show string
	}{
		{"30m", 30 * time.Minute, "30m"},
		{"2h", 2 * time.Hour, "2h"},
		{"7d", 7 * 24 * time.Hour, "7d"},
		{"7D", 7 * 24 * time.Hour, "7d"},
		{"365d", chat.MaxDuration, "365d"},
		{"8760h", chat.MaxDuration, "8760h"},
		{"525600m", chat.MaxDuration, "525600m"},
		{"010m", 10 * time.Minute, "10m"},
	} {
		d, err := chat.ParseDuration(tc.in)
		if err != nil || d.Std() != tc.want || d.String() != tc.show {
			t.Errorf("ParseDuration(%q) = %v (%v), %v; want %v shown %q", tc.in, d, d.Std(), err, tc.want, tc.show)
		}
	}
	for _, in := range []string{"", "m", "0m", "-5m", "+5m", "5", "5s", "5w", "1.5h", "366d", "8761h", "525601m", "5 m", "1e3m", "99999999999d", "٣m"} {
		if d, err := chat.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestFormatElapsed(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{3*time.Minute + 12*time.Second, "3m12s"},
		{3 * time.Minute, "3m00s"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h05m"},
		{3*24*time.Hour + 4*time.Hour + 59*time.Minute, "3d04h"},
		{400 * 24 * time.Hour, "400d00h"},
	} {
		if got := chat.FormatElapsed(tc.in); got != tc.want {
			t.Errorf("FormatElapsed(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "2h", "7d", "365d", "0m", "x", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := chat.ParseDuration(s)
		if err != nil {
			return
		}
		if d.Std() <= 0 || d.Std() > chat.MaxDuration {
			t.Fatalf("ParseDuration(%q) = %v, out of range", s, d.Std())
		}
		back, err := chat.ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q shown as %q reads back as %v, %v", s, d, back, err)
		}
	})
}
