package cluster_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"
)

// TestBindingRace: 6 nodes on 3 servers bind one name to 6 keys at once:
// exactly one binding is made, the others are refused as owned; the
// winner's key then refreshes it.
func TestBindingRace(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx := t.Context()
	const nodes = 6
	ids := make([]*cluster.Identity, nodes)
	for i := range ids {
		var err error
		ids[i], err = cluster.OpenIdentity(ctx, connectTo(t, c, "n"+strconv.Itoa(i), i%3), cluster.IdentityConfig{})
		if err != nil {
			t.Fatalf("OpenIdentity: %v", err)
		}
	}
	now := time.Now()
	won := race(t, nodes, chat.ErrNameOwned, func(i int) error {
		return ids[i].BindName(ctx, chat.NameRecord{Name: "Mike", KeyID: "key" + strconv.Itoa(i), LastUsed: now}, true, time.Time{})
	})
	if len(won) != 1 {
		t.Fatalf("nodes %v bound the name, want exactly one", won)
	}
	w := won[0]
	if err := ids[(w+1)%nodes].BindName(ctx, chat.NameRecord{Name: "mike", KeyID: "key" + strconv.Itoa(w), LastUsed: now.Add(time.Hour)}, false, time.Time{}); err != nil {
		t.Fatalf("refresh by the winner's key on another node: %v", err)
	}
}

// TestOfflineStream: kept messages are read oldest first, and purged up to
// what was read.
func TestOfflineStream(t *testing.T) {
	c := clustertest.Start(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	id, err := cluster.OpenIdentity(ctx, connectTo(t, c, "n0", 0), cluster.IdentityConfig{})
	if err != nil {
		t.Fatalf("OpenIdentity: %v", err)
	}
	o := id.OfflineStore()
	for i := range 3 {
		if err := o.SaveOffline(ctx, chat.OfflineRecord{Name: "Mike", From: "anna", Text: strconv.Itoa(i), Time: time.Now()}); err != nil {
			t.Fatalf("SaveOffline: %v", err)
		}
	}
	recs, err := o.Offline(ctx, "mike")
	if err != nil || len(recs) != 3 || recs[2].Text != "2" {
		t.Fatalf("Offline = %v, %v; want the 3 kept", recs, err)
	}
	if err := o.DeleteOffline(ctx, "mike", recs[1].ID); err != nil {
		t.Fatalf("DeleteOffline: %v", err)
	}
	recs, err = o.Offline(ctx, "MIKE")
	if err != nil || len(recs) != 1 || recs[0].Text != "2" {
		t.Fatalf("Offline after the delete = %v, %v; want the last one", recs, err)
	}
}
