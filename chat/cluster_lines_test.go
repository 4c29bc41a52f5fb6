package chat_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/chat/chattest"
)

// loopLines stands in for the cluster's lines on one node: a publish is
// numbered and given straight back to the hub, as the node's consumer
// does. It also holds names as a single node does.
type loopLines struct {
	nodeNames
	mu  sync.Mutex
	seq uint64
	hub *chat.Hub
}

func (l *loopLines) CreateRoom(_ context.Context, r chat.RoomRecord) (chat.RoomRecord, error) {
	return r, nil
}

func (l *loopLines) Publish(_ context.Context, line chat.Line) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	line.Node = "a"
	l.hub.Deliver(line, l.seq, true, true)
	return l.seq, nil
}

// TestClusterLinesEcho: with the cluster's lines, a line door's sender is
// not echoed their own message, a screen gets its own (with the stream's
// sequence), and both are in /history and the screen's Recent.
func TestClusterLinesEcho(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	ll := &loopLines{nodeNames: nodeNames{sn, "a"}}
	h := chattest.NewHub(t, chat.Config{Cluster: ll})
	ll.hub = h
	ui, err := h.Login(t.Context(), "mike", chat.LoginOptions{Door: "ssh", Outbox: chat.NewOutbox(0), Roster: true})
	if err != nil {
		t.Fatal(err)
	}
	ann := chattest.Login(t, h, "ann")
	chattest.Lines(ann)
	chattest.Lines(ui)
	ann.Input(t.Context(), "hi")
	ui.Input(t.Context(), "hello")
	if got := chattest.Lines(ann); !slices.Equal(got, []string{"<mike> hello\n"}) {
		t.Fatalf("ann got %q, want mike's line only", got)
	}
	if got := chattest.Lines(ui); !slices.Equal(got, []string{"<ann> hi\n", "<mike> hello\n"}) {
		t.Fatalf("the screen got %q, want both lines", got)
	}
	rec := ui.Recent(10)
	if len(rec) != 2 || rec[0].Seq >= rec[1].Seq || rec[1].Text != "hello" {
		t.Fatalf("Recent = %v, want both lines in order", rec)
	}
}

// TestClusterLinesRoomFirstKnown: a roster entry and a line can come
// through the stream before the rooms' watcher tells the node of their
// room (two nodes racing to create it): the node takes the room in from
// them rather than losing the member from /users and the line from the
// history, and the room's record, once it comes, makes its creator the
// admin.
func TestClusterLinesRoomFirstKnown(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	ll := &loopLines{nodeNames: nodeNames{sn, "a"}}
	h := chattest.NewHub(t, chat.Config{Cluster: ll})
	ll.hub = h
	h.Deliver(chat.Line{Roster: chat.RosterEnter, Room: "Lounge", From: "anna", ID: "7", Node: "b"}, 100, false, true)
	h.Deliver(chat.Line{Kind: chat.KindChat, Room: "Lounge", From: "anna", Text: "first"}, 101, false, true)

	if got := h.Members("lounge"); len(got) != 1 || got[0].Name != "anna" || got[0].Admin {
		t.Fatalf("lounge's members before its record = %+v, want anna, not an admin yet", got)
	}
	h.RemoteRoom(chat.RoomRecord{Name: "Lounge", Creator: "anna"})
	if got := h.Members("lounge"); len(got) != 1 || got[0].Name != "anna" || !got[0].Admin {
		t.Fatalf("lounge's members after its record = %+v, want anna, its admin", got)
	}
	bob := chattest.Login(t, h, "bob")
	chattest.Lines(bob)
	bob.Input(t.Context(), "/switch lounge")
	bob.Input(t.Context(), "/history")
	if got := chattest.Lines(bob); !slices.ContainsFunc(got, func(l string) bool { return strings.HasSuffix(l, "] <anna> first\n") }) {
		t.Fatalf("bob's /history in lounge = %q, want anna's first line", got)
	}
}

// TestClusterRosterBeforeRoom: a roster event for a room the hub does not
// have yet (the winner of a race for a new room adds it only after the
// cluster and its store said yes; the loser's node may have entered it
// and said so by then) is applied once the room comes: the entrant is in
// /users, in the order of the stream, before the room's creator.
func TestClusterRosterBeforeRoom(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	ll := &loopLines{nodeNames: nodeNames{sn, "a"}}
	h := chattest.NewHub(t, chat.Config{Cluster: ll})
	ll.hub = h
	h.Deliver(chat.Line{Room: "Lounge", From: "bob", Roster: chat.RosterEnter, Node: "b", ID: "1"}, 1, false, true)
	h.Deliver(chat.Line{Room: "Lounge", From: "cy", Roster: chat.RosterEnter, Node: "b", ID: "2"}, 2, false, true)
	h.Deliver(chat.Line{Room: "Lounge", From: "cy", Roster: chat.RosterLeave, Node: "b", ID: "2"}, 3, false, true)
	h.RemoteRoom(chat.RoomRecord{Name: "lounge", Creator: "anna"})
	var names []string
	for _, m := range h.Members("lounge") {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"bob"}) {
		t.Fatalf("lounge's members once the room came = %q, want bob, who entered before it came here", names)
	}
}

// TestRemoteServerBanDisconnects: a server ban learned from the cluster
// (made on another node, whose request to disconnect the user may have
// been lost) tells the user of this node it names, once, and logs them
// out; the same ban again (its record coming back) tells nothing more
// and stays in force, and another user is left alone.
func TestRemoteServerBanDisconnects(t *testing.T) {
	sn := &sharedNames{holder: map[string]string{}, holds: map[string]int{}}
	ll := &loopLines{nodeNames: nodeNames{sn, "a"}}
	h := chattest.NewHub(t, chat.Config{Cluster: ll})
	ll.hub = h
	troll, ann := chattest.Login(t, h, "troll"), chattest.Login(t, h, "ann")
	chattest.Lines(troll)
	chattest.Lines(ann)
	rec := chat.ServerBanRecord{Name: "Troll", By: "op", Time: time.Now()}
	h.RemoteServerBan(rec)
	h.RemoteServerBan(rec)
	if got := chattest.Lines(troll); !slices.Equal(got, []string{"<system> " + chat.TextServerBanned + "\n"}) {
		t.Fatalf("troll got %q, want the banned line once", got)
	}
	if !h.ServerBanned("troll", "", "") {
		t.Fatal("the ban is not in force once its record came again")
	}
	if slices.ContainsFunc(h.Members("chat"), func(m chat.Member) bool { return m.Name == "troll" }) {
		t.Fatal("troll is still in chat")
	}
	if !slices.ContainsFunc(h.Members("chat"), func(m chat.Member) bool { return m.Name == "ann" }) {
		t.Fatal("ann was logged out too")
	}
}
