package cluster

import (
	"context"
	"testing"
	"time"

	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// TestBucketsReadFromLeader: every bucket the nodes open answers reads
// from its stream's leader, also when a second node opens it and when it
// was made with direct gets on (by an older build): a replica that lags
// must never answer a Get right after a lost Create.
func TestBucketsReadFromLeader(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "old", Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fresh", "fresh", "old"} {
		if _, err := openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: name}); err != nil {
			t.Fatalf("openBucket(%s): %v", name, err)
		}
		st, err := js.Stream(ctx, "KV_"+name)
		if err != nil {
			t.Fatal(err)
		}
		if sc := st.CachedInfo().Config; sc.AllowDirect || sc.Replicas != 3 {
			t.Errorf("bucket %s: AllowDirect %v, Replicas %d; want reads from the leader of 3", name, sc.AllowDirect, sc.Replicas)
		}
	}
}
