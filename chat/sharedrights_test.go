package chat_test

import (
	"testing"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// TestRemoteRevisions: what the cluster's watcher tells a hub is put in
// only if its revision is later than the one there, so news arriving late
// never undoes a newer change: rights by the room's record's revision,
// bans by each record's.
func TestRemoteRevisions(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	h := chattest.NewHub(t, chat.Config{Cluster: sn.node("a")})
	h.RemoteRoom(chat.RoomRecord{Name: "den", Creator: "anna"})

	h.RemoteRights(chat.SharedRights{Room: "den", Topic: "new", Locked: true, Rev: 5})
	h.RemoteRights(chat.SharedRights{Room: "DEN", Topic: "old", Rev: 4})
	if got := h.Topic("den"); got != "new" {
		t.Errorf("topic after revisions 5 then 4 = %q, want %q", got, "new")
	}
	if h.CanEnter("den", "bob") {
		t.Errorf("bob may enter den, locked at revision 5 and open at 4")
	}
	h.RemoteRights(chat.SharedRights{Room: "den", Topic: "", Locked: true, Rev: 6,
		Invites: []chat.InviteRecord{{Room: "den", Name: "Bob", Told: true}}})
	if got := h.Topic("den"); got != "" || !h.CanEnter("den", "bob") {
		t.Errorf("topic %q, bob may enter: %v, after revision 6; want none, true", got, h.CanEnter("den", "bob"))
	}

	h.RemoteRights(chat.SharedRights{Room: "den", Rev: 7}) // open again

	room, eve := chat.Fold("den"), chat.Fold("eve")
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 10)
	h.RemoteUnban(room, eve, 9) // older: the ban stands
	if h.CanEnter("den", "eve") {
		t.Errorf("eve may enter den, banned at revision 10, lifted at 9")
	}
	h.RemoteUnban(room, eve, 11)
	if !h.CanEnter("den", "eve") {
		t.Errorf("eve may not enter den, lifted at revision 11")
	}
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 12)
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 12) // told twice: the same
	h.RemoteUnban(room, eve, 13)
	if !h.CanEnter("den", "eve") {
		t.Errorf("eve may not enter den, lifted at revision 13")
	}
}

// TestOwnLiftAtOnce: a ban lifted by this node (an admin's /unban here)
// lets the user in at once, before the watcher gives the deletion, and
// the watcher's late news of the lifted record does not put it back; the
// deletion, then a new ban, come through as usual.
func TestOwnLiftAtOnce(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	h := chattest.NewHub(t, chat.Config{Cluster: sn.node("a")})
	h.RemoteRoom(chat.RoomRecord{Name: "den", Creator: "anna"})
	room, eve := chat.Fold("den"), chat.Fold("eve")
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 10)

	h.LiftBan(room, eve, 10)
	if !h.CanEnter("den", "eve") {
		t.Fatalf("eve may not enter den once this node lifted her ban of revision 10")
	}
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 10) // the watcher, late
	if !h.CanEnter("den", "eve") {
		t.Fatalf("the watcher's late news of the lifted ban put it back")
	}
	h.RemoteUnban(room, eve, 11) // the deletion
	h.RemoteBan(chat.BanRecord{Room: "den", Name: "eve"}, 12)
	if h.CanEnter("den", "eve") {
		t.Fatalf("eve may enter den, banned again at revision 12")
	}
	h.LiftBan(room, eve, 11) // a lift read from a replica behind: not this record
	if h.CanEnter("den", "eve") {
		t.Fatalf("a lift of revision 11 undid the ban of revision 12")
	}
}
