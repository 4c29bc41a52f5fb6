package cluster_test

import (
	"sync/atomic"
	"testing"
	"time"

	"chatserver/chat"
	"chatserver/cluster"
	"chatserver/cluster/clustertest"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkLinesThroughStream measures one room line through the stream
// on a 3-server cluster (R3): published by 8 senders at once, each waiting
// for its ack, and given to one node's consumer (what Hub.Deliver gets),
// per line, until the consumer has them all.
func BenchmarkLinesThroughStream(b *testing.B) {
	c := clustertest.Start(b, 3)
	js, err := jetstream.New(c.Connect(b))
	if err != nil {
		b.Fatal(err)
	}
	ls, err := cluster.OpenLines(b.Context(), js, cluster.LinesConfig{Node: "a", History: 200})
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- ls.Run(b.Context(), func(chat.Line, uint64, bool, bool) { got.Add(1) }, func() { close(ready) })
	}()
	b.Cleanup(func() { <-done }) // the context is cancelled before cleanups run
	<-ready
	line := chat.Line{Kind: chat.KindChat, Room: "chat", From: "anna", Text: "a line of about the length people type, give or take", Time: time.Now()}
	b.SetParallelism(4) // 8 senders on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ls.Publish(b.Context(), line); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
}
