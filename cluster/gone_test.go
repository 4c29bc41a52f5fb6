package cluster_test

import (
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// TestRunGoneEndsWithItsConnection proves that the dead nodes' watcher
// (Lines.RunGone) returns once its connection is closed under it, rather
// than spinning on the watch's closed channel: a node whose NATS
// connection was closed (App.CutNATS in the tests) burnt a whole core
// until it stopped, on a 2-core machine that slowed every other node.
func TestRunGoneEndsWithItsConnection(t *testing.T) {
	c := clustertest.Start(t, 3)
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.OpenNames(t.Context(), js, cluster.NamesConfig{Node: "a"}); err != nil {
		t.Fatal(err)
	}
	ls, err := cluster.OpenLines(t.Context(), js, cluster.LinesConfig{Node: "a"})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(t.Context(), cluster.NamesBucket)
	if err != nil {
		t.Fatal(err)
	}
	watching := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- ls.RunGone(t.Context(), kv, func(string) (chat.Line, bool) {
			select {
			case <-watching:
			default:
				close(watching)
			}
			return chat.Line{}, false
		}, func(string, string) {})
	}()
	for live := false; !live; { // a purge the watcher sees: it is watching
		if _, err := kv.Put(t.Context(), cluster.Key("anna"), []byte("b x")); err != nil {
			t.Fatal(err)
		}
		if err := kv.Purge(t.Context(), cluster.Key("anna")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-watching:
			live = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	nc.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("RunGone returned no error for a watch that ended with its connection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunGone still running 10 s after its connection closed, its context alive")
	}
}
