package cluster_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"
)

// TestRightsRace has nodes on every server of a cluster change one room's
// rights at once, each /op-ing names of its own several times: every
// change is recorded (compare-and-set, redone on a revision mismatch),
// none lost to another node's write.
func TestRightsRace(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const nodes, each = 6, 4
	rooms := openRoomsOn(t, c, nodes)
	if _, err := rooms[0].CreateRoom(ctx, chat.RoomRecord{Name: "Lounge", Creator: "anna", Created: time.Now()}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	won := race(t, nodes, nil, func(i int) error {
		for j := range each {
			name := "op" + strconv.Itoa(i) + "x" + strconv.Itoa(j)
			if _, err := rooms[i].UpdateRights(ctx, "lounge", func(r *chat.SharedRights) error {
				r.Admins = append(r.Admins, chat.AdminRecord{Room: r.Room, Name: name})
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if len(won) != nodes {
		t.Fatalf("nodes %v changed the rights, want all %d", won, nodes)
	}
	got := readRights(t, rooms[1], "lounge")
	if len(got.Admins) != nodes*each {
		t.Fatalf("%d admins recorded, want %d: %v", len(got.Admins), nodes*each, got.Admins)
	}
	if got.Room != "Lounge" {
		t.Errorf("room's name = %q after its changes, want %q as created", got.Room, "Lounge")
	}
}

// errRead stops UpdateRights from writing: readRights only reads.
var errRead = errors.New("read only")

// readRights returns the rights of room as rs reads them.
func readRights(t *testing.T, rs *cluster.Rooms, room string) chat.SharedRights {
	t.Helper()
	var got chat.SharedRights
	if _, err := rs.UpdateRights(t.Context(), room, func(r *chat.SharedRights) error {
		got = *r
		return errRead
	}); !errors.Is(err, errRead) {
		t.Fatalf("UpdateRights: %v", err)
	}
	return got
}

// hubLog records what Rooms.Run tells a hub.
type hubLog struct {
	mu    sync.Mutex
	calls []string
}

func (h *hubLog) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, s)
}

func (h *hubLog) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

func (h *hubLog) RemoteRoom(r chat.RoomRecord) { h.add("room " + r.Name) }
func (h *hubLog) RemoteRights(r chat.SharedRights) {
	h.add("rights " + r.Room + " " + r.Topic + " " + strconv.Itoa(len(r.Admins)))
}
func (h *hubLog) RemoteBan(b chat.BanRecord, _ uint64)     { h.add("ban " + b.Room + " " + b.Name) }
func (h *hubLog) RemoteUnban(room, name string, _ uint64)  { h.add("unban " + room + " " + name) }
func (h *hubLog) RemoteMute(m chat.MuteRecord, _ uint64)   { h.add("mute " + m.Room + " " + m.Name) }
func (h *hubLog) RemoteUnmute(room, name string, _ uint64) { h.add("unmute " + room + " " + name) }

// TestRoomsWatch: a node's watcher tells its hub of rooms, their rights,
// bans and mutes, those there before it started first, each room before
// its bans and mutes (though the room's record was last written after
// them), then each change; names with dots and non-ASCII letters come
// back folded.
func TestRoomsWatch(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	rs := openRoomsOn(t, c, 1)[0]
	if _, err := rs.CreateRoom(ctx, chat.RoomRecord{Name: "Den.Ü", Creator: "anna", Created: time.Now()}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	if _, err := rs.SaveBan(ctx, chat.BanRecord{Room: "Den.Ü", Name: "Eve.Ö"}); err != nil {
		t.Fatalf("SaveBan: %v", err)
	}
	if _, err := rs.UpdateRights(ctx, "den.ü", func(r *chat.SharedRights) error { r.Topic = "Plans"; return nil }); err != nil {
		t.Fatalf("UpdateRights: %v", err)
	}

	hub := &hubLog{}
	ready := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rs.Run(runCtx, hub, func() { close(ready) }) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	<-ready
	want := []string{"room Den.Ü", "rights Den.Ü Plans 0", "ban Den.Ü Eve.Ö"}
	if got := hub.seen(); !slices.Equal(got, want) {
		t.Fatalf("told before ready %q, want %q", got, want)
	}

	if _, err := rs.SaveMute(ctx, chat.MuteRecord{Room: "Den.Ü", Name: "Bob"}); err != nil {
		t.Fatalf("SaveMute: %v", err)
	}
	for _, f := range []func(context.Context, string, string) (uint64, error){rs.DeleteMute, rs.DeleteBan} {
		if _, err := f(ctx, "Den.Ü", "EVE.Ö"); err != nil {
			t.Fatalf("lift: %v", err)
		}
	}
	if _, err := rs.DeleteMute(ctx, "Den.Ü", "bob"); err != nil {
		t.Fatalf("DeleteMute: %v", err)
	}
	room := chat.Fold("Den.Ü")
	want = append(want, "mute Den.Ü Bob", "unban "+room+" "+chat.Fold("Eve.Ö"), "unmute "+room+" "+chat.Fold("Bob"))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(hub.seen(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("told %q, want %q", hub.seen(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
