package chat_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

func TestParseMOTD(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 500)
	var many strings.Builder
	for i := range 25 {
		fmt.Fprintf(&many, "line %d\n\n", i+1)
	}
	for _, tc := range []struct {
		name    string
		in      string
		want    []string
		dropped int
	}{
		{"empty", "", nil, 0},
		{"blank lines", "\n \r\n\t\n", nil, 0},
		{"crlf and trim", "  Welcome!\r\nRules: be nice \r\n", []string{"Welcome!", "Rules: be nice"}, 0},
		{"no final newline", "one\ntwo", []string{"one", "two"}, 0},
		{"escapes", "\x1b[31mred\x1b[0m \u202eevil\x07", []string{"red evil"}, 0},
		{"cut at 450", long, []string{strings.Repeat("é", 450)}, 0},
		{"at most 20", many.String(), func() []string {
			var l []string
			for i := range 20 {
				l = append(l, fmt.Sprintf("line %d", i+1))
			}
			return l
		}(), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, dropped := chat.ParseMOTD(tc.in)
			if !slices.Equal(got, tc.want) || dropped != tc.dropped {
				t.Errorf("ParseMOTD(%.40q) = %q, %d; want %q, %d", tc.in, got, dropped, tc.want, tc.dropped)
			}
		})
	}
}

// FuzzParseMOTD: whatever the file holds, the lines are at most 20, none
// empty, each sanitised and at most 450 characters.
func FuzzParseMOTD(f *testing.F) {
	for _, s := range []string{"Welcome!\nBe nice.\n", "\x1b]0;title\x07hi\r\n", strings.Repeat("x\n", 30), "\xff\xfe\n\u200b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines, dropped := chat.ParseMOTD(s)
		if len(lines) > chat.MaxMOTDLines || dropped < 0 || (dropped > 0 && len(lines) != chat.MaxMOTDLines) {
			t.Fatalf("%d lines, %d dropped", len(lines), dropped)
		}
		for _, l := range lines {
			if l == "" || chat.Sanitize(l) != l || utf8.RuneCountInString(l) > chat.MaxMOTDLineLen {
				t.Fatalf("line %q", l)
			}
		}
	})
}

// TestMOTD: the lines come after "Logging in as" and before the join
// line; /motd shows them again, or says there are none.
func TestMOTD(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{})
	anna := chattest.Login(t, h, "anna")
	anna.Input(t.Context(), "/motd")
	if got, want := drainLines(anna), []string{"<system> Logging in as anna\n", "<system> There is no message of the day.\n"}; !slices.Equal(got, want) {
		t.Errorf("without a MOTD: %q, want %q", got, want)
	}
	lines, _ := chat.ParseMOTD("Welcome to the server!\n\nBe nice.\n")
	h.SetMOTD(lines)
	bob := chattest.Login(t, h, "bob")
	want := []string{"<system> Logging in as bob\n", "<system> Welcome to the server!\n", "<system> Be nice.\n"}
	if got := drainLines(bob); !slices.Equal(got, want) {
		t.Errorf("login: %q, want %q", got, want)
	}
	anna.Input(t.Context(), "/MOTD")
	if got := drainLines(anna); !slices.Equal(got, want[1:]) {
		t.Errorf("/motd: %q, want %q", got, want[1:])
	}
	h.SetMOTD(nil)
	if h.MOTD() != nil {
		t.Errorf("MOTD() = %q after SetMOTD(nil)", h.MOTD())
	}
}
