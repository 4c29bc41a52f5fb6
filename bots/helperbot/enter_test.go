package helperbot_test

import (
	"testing"

	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// TestCanEnter: a user may enter a room unless banned from it; a room that
// does not exist is open.
func TestCanEnter(t *testing.T) {
	hub := chattest.NewHub(t, chat.Config{Plugins: []chat.Plugin{helperbot.New()}})
	admin, bob := chattest.Login(t, hub, "admin"), chattest.Login(t, hub, "bob")
	admin.Input(t.Context(), "/switch den")
	bob.Input(t.Context(), "/switch den")
	admin.Input(t.Context(), "/ban bob")
	for _, tc := range []struct {
		room, name string
		want       bool
	}{
		{"den", "bob", false},
		{"DEN", "Bob", false},
		{"den", "admin", true},
		{"chat", "bob", true},
		{"nowhere", "bob", true},
	} {
		if got := hub.CanEnter(tc.room, tc.name); got != tc.want {
			t.Errorf("CanEnter(%q, %q) = %v, want %v", tc.room, tc.name, got, tc.want)
		}
	}
}

// TestCanEnterAdminBannedByOldData: an admin banned from their own room by
// the old self-ban bug is not kept out, so Ctrl+N stops there as /switch does.
func TestCanEnterAdminBannedByOldData(t *testing.T) {
	st := store.NewMemory(0)
	for _, err := range []error{
		st.CreateRoom(t.Context(), chat.RoomRecord{Name: "ops", Creator: "mike"}),
		st.SaveBan(t.Context(), chat.BanRecord{Room: "ops", Name: "mike", By: "helperbot"}),
		st.SaveBan(t.Context(), chat.BanRecord{Room: "ops", Name: "eve", By: "helperbot"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	hub := chattest.NewHub(t, chat.Config{Store: st, Plugins: []chat.Plugin{helperbot.New()}})
	if !hub.CanEnter("ops", "MIKE") {
		t.Error(`CanEnter("ops", "MIKE") = false, want true: an admin is never kept out`)
	}
	if hub.CanEnter("ops", "eve") {
		t.Error(`CanEnter("ops", "eve") = true, want false`)
	}
}
