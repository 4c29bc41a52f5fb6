package chat_test

import (
	"slices"
	"testing"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestRemote: what a node does for a request another node sent about one
// of its users: a whisper arrives unless ignored, a move happens only
// from the room named, a tell and a disconnect reach the user, an
// unknown name or verb is answered with its code and changes nothing.
func TestRemote(t *testing.T) {
	t.Parallel()
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	h := chattest.NewHub(t, chat.Config{Cluster: sn.node("b")})
	bob := chattest.Login(t, h, "Bob")
	chattest.Lines(bob)

	if rep := h.Remote(chat.RemoteRequest{Verb: chat.VerbWhisper, Target: "BOB", From: "anna", Bot: "helperbot", Text: "hi"}); rep.Err != "" || rep.Name != "Bob" {
		t.Errorf("whisper = %+v", rep)
	}
	if got, want := chattest.Lines(bob), []string{"<helperbot> anna whispered to you: hi\n"}; !slices.Equal(got, want) {
		t.Errorf("Bob got %q, want %q", got, want)
	}
	if rep := h.Remote(chat.RemoteRequest{Verb: chat.VerbMove, Target: "bob", Room: "lounge", To: chat.DefaultRoom}); rep.Err != chat.ReplyNotFound {
		t.Errorf("move from a room he is not in = %+v, want %q", rep, chat.ReplyNotFound)
	}
	for _, req := range []chat.RemoteRequest{
		{Verb: chat.VerbWhois, Target: "nobody"},
		{Verb: chat.VerbGhost, Target: "nobody"},
		{Verb: "format", Target: "bob"},
	} {
		if rep := h.Remote(req); rep.Err == "" {
			t.Errorf("%+v answered %+v, want an error", req, rep)
		}
	}
	if rep := h.Remote(chat.RemoteRequest{Verb: chat.VerbWhois, Target: "bob"}); rep.Whois == nil || rep.Whois.Room != chat.DefaultRoom || rep.Whois.Addr != "" {
		t.Errorf("whois = %+v", rep)
	}
	h.Remote(chat.RemoteRequest{Verb: chat.VerbTell, Target: "bob", Bot: "helperbot", Text: "told"})
	h.Remote(chat.RemoteRequest{Verb: chat.VerbDisconnect, Target: "bob", Text: chat.TextServerBanned})
	if got, want := chattest.Lines(bob), []string{"<helperbot> told\n", "<system> " + chat.TextServerBanned + "\n"}; !slices.Equal(got, want) {
		t.Errorf("Bob got %q, want %q", got, want)
	}
	if !bob.Outbox().Closed() || h.Online() != 0 {
		t.Error("Bob is still online after the disconnect")
	}
}
