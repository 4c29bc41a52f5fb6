package chat_test

import (
	"slices"
	"testing"

	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// OnlineNames finds the users logged in whatever room they are in, by a
// prefix in any case, sorted and cut at the limit; those who left are gone.
func TestOnlineNames(t *testing.T) {
	t.Parallel()
	h := chattest.NewHub(t, chat.Config{Store: store.NewMemory(0)})
	for _, n := range []string{"Bob", "alice", "bobby", "carol", "Bernard", "dave"} {
		s := login(t, h, n)
		switch n {
		case "bobby":
			s.Input(t.Context(), "/switch games")
		case "dave":
			s.Close()
		}
	}
	for _, tc := range []struct {
		name, prefix string
		limit        int
		want         []string
	}{
		{"all", "", 10, []string{"alice", "Bernard", "Bob", "bobby", "carol"}},
		{"prefix in any case", "BO", 10, []string{"Bob", "bobby"}},
		{"whole name", "carol", 10, []string{"carol"}},
		{"longer than any", "bobbyx", 10, nil},
		{"limit", "b", 2, []string{"Bernard", "Bob"}},
		{"no limit, no names", "b", 0, nil},
		{"logged out", "d", 10, nil},
	} {
		if got := h.OnlineNames(tc.prefix, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("%s: OnlineNames(%q, %d) = %q, want %q", tc.name, tc.prefix, tc.limit, got, tc.want)
		}
	}
}
