package chat_test

import (
	"slices"
	"testing"
	"time"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestWhois: every line of /whois, the elapsed times on a fake clock, the
// rooms someone is an admin of in the order created, and the address for
// operators only.
func TestWhois(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := chattest.NewHub(t, chat.Config{Now: clk.Now, Plugins: []chat.Plugin{helperbot.New()}})
	anna := loginWith(t, h, "Anna", chat.LoginOptions{Door: "telnet", Addr: "10.1.2.3:4000", Outbox: chat.NewOutbox(0)})
	clk.Advance(3*time.Minute + 12*time.Second)
	root := loginWith(t, h, "root", opts("SHA256:op", "[2001:db8::7]:22", true))
	anna.Input(t.Context(), "/switch beta")
	anna.Input(t.Context(), "/switch alpha")
	clk.Advance(45 * time.Second)
	anna.Input(t.Context(), "/away lunch")
	clk.Advance(2*time.Hour + 5*time.Minute)
	drainLines(anna)
	drainLines(root)

	for _, tc := range []struct {
		who  *chat.Session
		in   string
		want []string
	}{
		{root, "/WHOIS anna extra", []string{ // /away was her last line
			"<system> Anna: in 'alpha' via telnet, online for 2h08m, idle 2h05m",
			"<system> Anna: away: lunch",
			"<system> Anna: admin of 'beta', 'alpha'",
			"<system> Anna: from 10.1.2.3",
		}},
		{anna, "/whois ANNA", []string{ // a line typed is activity, this one too
			"<system> Anna: in 'alpha' via telnet, online for 2h08m, idle 0s",
			"<system> Anna: away: lunch",
			"<system> Anna: admin of 'beta', 'alpha'",
		}},
		{anna, "/whois root", []string{
			"<system> root: in 'chat' via ssh, online for 2h05m, idle 0s",
			"<system> root: key SHA256:op",
			"<system> root: server operator",
		}},
		{root, "/whois root", []string{
			"<system> root: in 'chat' via ssh, online for 2h05m, idle 0s", // the line itself
			"<system> root: key SHA256:op",
			"<system> root: server operator",
			"<system> root: from 2001:db8::7",
		}},
		{anna, "/whois nobody", []string{"<system> Could not find someone with that username."}},
		{anna, "/whois", []string{"<system> Please specify a username."}},
		{anna, "/whois   ", []string{"<system> Please specify a username."}},
	} {
		tc.who.Input(t.Context(), tc.in)
		var want []string
		for _, l := range tc.want {
			want = append(want, l+"\n")
		}
		if got := drainLines(tc.who); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", tc.in, got, want)
		}
	}
	anna.Input(t.Context(), "/back")
	drainLines(anna)
	anna.Input(t.Context(), "/away")
	drainLines(anna)
	root.Input(t.Context(), "/whois anna")
	if got := drainLines(root); len(got) < 2 || got[1] != "<system> Anna: away\n" {
		t.Errorf("away without a reason: %q", got)
	}
}
