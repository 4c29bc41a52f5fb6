package app_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/chat/store"
)

// A listing longer than a user's outbox arrives whole: /rooms and /users
// are one block each, never cut by the slow-reader policy.
func TestLongListingArrivesWhole(t *testing.T) {
	t.Parallel()
	const rooms = 2000
	srv := startManyRooms(t, rooms)
	alice := apptest.Login(t, srv.Telnet, "alice")
	createRooms(alice, rooms)
	alice.Send("/rooms")
	alice.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat")
	for i := range rooms {
		alice.Expect("<helperbot> " + strconv.Itoa(i+2) + ". r" + strconv.Itoa(i))
	}
	alice.Quiet()
}

// createRooms has c create rooms r0, r1, … r(n-1) in one write, and waits
// until it is in the last. The answers may overflow c's outbox (and be
// dropped, with a notice): only the last one matters.
func createRooms(c *apptest.Client, n int) {
	var cmds strings.Builder
	for i := range n {
		cmds.WriteString("/switch r" + strconv.Itoa(i) + "\r\n")
	}
	cmds.WriteString("/room\r\n")
	c.SendRaw([]byte(cmds.String()))
	c.Until("<system> You're currently in the 'r" + strconv.Itoa(n-1) + "' room.")
}

// startManyRooms runs a server where one user may create rooms rooms, and
// at once: no flood control, no limit per hour, a room table big enough,
// and the store in memory (no fsync per room).
func startManyRooms(t *testing.T, rooms int) *apptest.Server {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.Store = store.NewMemory(0)
	cfg.MaxRooms = rooms + 10
	cfg.RoomsPerHour = 0
	return apptest.Start(t, cfg)
}

// TestSlowReaderBoundedInBytes: a client that never reads and asks for
// /rooms (500 rooms, ~11 KB a listing) over and over holds at most about
// one outbox of bytes in the server (what the writer has taken off the
// queue is bounded by the queue too), its oldest lines are dropped and
// counted, and the users who read see every line, in order, without a
// notice.
func TestSlowReaderBoundedInBytes(t *testing.T) {
	t.Parallel()
	const rooms = 500
	srv := startManyRooms(t, rooms)
	hub := srv.App.Hub()
	alice, bob := oneAway(t, srv, "alice", "bob", "den")
	createRooms(bob, rooms)
	bob.Send("/rooms")
	last := "<helperbot> " + strconv.Itoa(rooms+2) + ". r" + strconv.Itoa(rooms-1) // after chat and den
	listing := len(last) + 1
	for _, l := range bob.Until(last) {
		listing += len(l) + 1
	}
	enter(bob, "bob", "chat")
	alice.Until(joinLine("bob"))

	conn, err := net.Dial("tcp", srv.Telnet)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10) // never read, and hold little in the kernel
	const asks = 300
	if _, err := conn.Write([]byte("stalled\r\n" + strings.Repeat("/rooms\r\n", asks))); err != nil {
		t.Fatal(err)
	}
	alice.Until(joinLine("stalled"))
	bob.Until(joinLine("stalled"))

	// Listing lines are ~20 bytes; what the kernel and the writer may hold
	// besides the queue is well under 1 MiB, so most lines must be dropped.
	total := asks * (rooms + 3)
	wantDropped := uint64(total - (1<<20)/15)
	most := 0
	bound := chat.DefaultOutboxBytes + listing + 4<<10 // the cap, one listing over it, alice's and bob's lines
	for i := 0; ; i++ {
		alice.Send("line " + strconv.Itoa(i))
		bob.Expect("<alice> line " + strconv.Itoa(i))
		q := hub.QueuedBytes()
		most = max(most, q)
		if q > bound {
			t.Fatalf("%d bytes queued, over %d", q, bound)
		}
		if hub.SlowClients().Dropped() >= wantDropped {
			break
		}
		if i > 100000 {
			t.Fatalf("%d lines dropped after %d lines of chat, want %d", hub.SlowClients().Dropped(), i, wantDropped)
		}
	}
	t.Logf("at most %d bytes queued (cap %d), %d of %d listing lines dropped",
		most, chat.DefaultOutboxBytes, hub.SlowClients().Dropped(), total)
	alice.Quiet()
	bob.Quiet()
}
