package app_test

import (
	"strconv"
	"strings"
	"testing"

	"chatserver/app/apptest"
	"chatserver/chat/store"
)

// A listing longer than a user's outbox arrives whole: /rooms and /users
// are one block each, never cut by the slow-reader policy.
func TestLongListingArrivesWhole(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.Store = store.NewMemory(0) // 2 000 rooms without 2 000 fsyncs
	cfg.MaxRooms = 3000
	cfg.RoomsPerHour = 0 // 2 000 rooms from one address
	srv := apptest.Start(t, cfg)
	alice := apptest.Login(t, srv.Telnet, "alice")
	const rooms = 2000
	var cmds strings.Builder
	for i := range rooms {
		cmds.WriteString("/switch r" + strconv.Itoa(i) + "\r\n")
	}
	cmds.WriteString("/room\r\n")
	alice.SendRaw([]byte(cmds.String()))
	// The answers to 2 000 switches may overflow alice's outbox (and be
	// cut, with a notice): only the last one matters here.
	alice.Until("<system> You're currently in the 'r" + strconv.Itoa(rooms-1) + "' room.")
	alice.Send("/rooms")
	alice.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat")
	for i := range rooms {
		alice.Expect("<helperbot> " + strconv.Itoa(i+2) + ". r" + strconv.Itoa(i))
	}
	alice.Quiet()
}
