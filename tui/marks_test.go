package tui

import (
	"strings"
	"testing"

	"chatserver/chat"
)

// TestUserMarks: operators are marked '~', admins '@', muted users '-'
// and crossed out, users who are away dimmed with their reason, at every
// size, and the pane follows when a mark changes.
func TestUserMarks(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	for _, n := range []string{"olga", "adam", "mute", "away"} {
		login(t, h, n, false)
	}
	e.marks["olga"] = chat.Member{Operator: true, Admin: true}
	e.marks["adam"] = chat.Member{Admin: true}
	e.marks["mute"] = chat.Member{Muted: true}
	e.marks["away"] = chat.Member{Away: true, AwayReason: "lunch"}
	u := newMarkedUI(t, e, "alice", 120, 40)
	u.contains("~olga", "@adam", "-mute", "away (lunch)", " alice*")
	raw := u.m.View().Content
	if !strings.Contains(raw, u.m.th.muted+"mute") {
		t.Errorf("mute is not crossed out: %q", raw)
	}
	if !strings.Contains(raw, u.m.th.faint+"away (lunch)") {
		t.Errorf("away is not dimmed: %q", raw)
	}
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		u.resize(size[0], size[1])
		u.geometry(size[0], size[1])
		u.contains("~olga", "@adam", "-mute", "away (lu")
	}

	delete(e.marks, "mute")
	e.marks["olga"] = chat.Member{Admin: true}
	u.roster()
	u.contains("@olga", " mute")
	u.lacks("~olga", "-mute")
}

// TestInviteOnlyMarked: invite-only rooms are marked "+i" in the rooms
// pane, the current one too; a long name is cut, the mark is not.
func TestInviteOnlyMarked(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	bob := login(t, h, "bob", false)
	for _, r := range []string{"den", "a-very-long-room-name", "open"} {
		bob.Input(t.Context(), "/switch "+r)
	}
	e.inviteOnly["den"] = true
	e.inviteOnly["a-very-long-room-name"] = true
	u := newMarkedUI(t, e, "alice", 80, 24)
	u.matches(`(?m)^  den \+i +│`)
	u.matches(`(?m)^  a-very-… \+i│`)
	u.matches(`(?m)^  open +│`)
	u.geometry(80, 24)

	e.inviteOnly["chat"] = true // the engine never locks chat; the pane shows what it says
	delete(e.inviteOnly, "den")
	u.roster()
	u.matches(`(?m)^▸ chat \+i +│`)
	u.matches(`(?m)^  den +│`)
	u.resize(200, 60)
	u.geometry(200, 60)
	u.contains("a-very-long-room… +i")
}

// TestTabCompletesAnyRoom: after /w, /whois and the other commands whose
// user may be anywhere, Tab offers everyone online but oneself, sorted;
// elsewhere the room's users as before; the second release's commands
// complete by name.
func TestTabCompletesAnyRoom(t *testing.T) {
	h, _ := newHub(t)
	e := newMarked(h)
	e.extra = []string{"whois", "ignore", "unignore", "motd", "topic", "op", "deop", "bans", "mute", "unmute",
		"lock", "unlock", "invite", "gban", "gunban", "gbans"}
	login(t, h, "carol", false).Input(t.Context(), "/switch games")
	login(t, h, "cedric", false).Input(t.Context(), "/switch den")
	login(t, h, "claire", false)
	u := newMarkedUI(t, e, "alice", 80, 24)
	login(t, h, "alan", false).Input(t.Context(), "/switch den")
	u.pump()
	u.tabs(t, []tabCase{
		{"whisper, another room", "/w car", 1, "/w carol "},
		{"whisper cycles sorted", "/w c", 2, "/w cedric"},
		{"whisper, empty word", "/w ", 1, "/w alan"},
		{"not oneself", "/w al", 1, "/w alan "},
		{"whois", "/whois ced", 1, "/whois cedric "},
		{"whois any case", "/WHOIS ced", 1, "/WHOIS cedric "},
		{"ignore", "/ignore ca", 1, "/ignore carol "},
		{"invite", "/invite ce", 1, "/invite cedric "},
		{"second argument: the room's users", "/w carol cl", 1, "/w carol claire "},
		{"message: the room's users", "hi ca", 1, "hi ca"},
		{"kick: the room's users", "/kick cl", 1, "/kick claire "},
		{"command whois", "/whoi", 1, "/whois "},
		{"command topic", "/to", 1, "/topic "},
		{"command unmute", "/unm", 1, "/unmute "},
		{"command gban cycles", "/gb", 2, "/gbans"},
		{"command motd", "/mo", 1, "/motd "},
		{"help on a command", "/help unl", 1, "/help unlock "},
	})
}
