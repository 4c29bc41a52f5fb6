package cluster_test

import (
	"strconv"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"
)

// TestRoomsRace has nodes on every server of a cluster create one room at
// once, each for a creator of its own: exactly one creates it, and every
// other is told it exists, with the winner's record; a retry of the
// winner's own Create counts as its own.
func TestRoomsRace(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const nodes = 6
	rooms := openRoomsOn(t, c, nodes)
	now := time.Now().UTC().Truncate(time.Millisecond)
	recs := make([]chat.RoomRecord, nodes)
	got := make([]chat.RoomRecord, nodes)
	errs := make([]error, nodes)
	won := race(t, nodes, chat.ErrRoomExists, func(i int) error {
		recs[i] = chat.RoomRecord{Name: "Lounge", Creator: "user" + strconv.Itoa(i), Created: now}
		got[i], errs[i] = rooms[i].CreateRoom(ctx, recs[i])
		return errs[i]
	})
	if len(won) != 1 {
		t.Fatalf("nodes %v created the room, want exactly one", won)
	}
	winner := won[0]
	for i, err := range errs {
		if err != nil && got[i].Creator != recs[winner].Creator {
			t.Errorf("node %d was told the room's creator is %q, want %q", i, got[i].Creator, recs[winner].Creator)
		}
	}
	if _, err := rooms[(winner+1)%nodes].CreateRoom(ctx, recs[winner]); err != nil {
		t.Errorf("the winner's Create retried = %v, want it counted as its own", err)
	}
}

// openRoomsOn opens the rooms bucket for n nodes, spread over the servers
// of c.
func openRoomsOn(t *testing.T, c *clustertest.Cluster, n int) []*cluster.Rooms {
	t.Helper()
	rooms := make([]*cluster.Rooms, n)
	for i := range rooms {
		var err error
		rooms[i], err = cluster.OpenRooms(t.Context(), connectTo(t, c, "n"+strconv.Itoa(i), i%3), cluster.RoomsConfig{})
		if err != nil {
			t.Fatalf("OpenRooms: %v", err)
		}
	}
	return rooms
}
