package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatserver/chat"
)

// BenchmarkSQLiteAppend measures how many messages a second the store
// writes for good: appends as fast as the writer takes them (waiting when
// the queue is full instead of dropping), then waits for the last write.
// Messages go to 10 rooms with the default retention, so pruning runs.
func BenchmarkSQLiteAppend(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "chat.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	text := strings.Repeat("x", 80)
	n := 0
	start := time.Now()
	for b.Loop() {
		for len(s.queue) == cap(s.queue) {
			time.Sleep(50 * time.Microsecond)
		}
		s.AppendMessage(chat.Message{Room: fmt.Sprintf("room%d", n%10), From: "alice", Text: text, Time: time.Now(), Seq: uint64(n/10 + 1)})
		n++
	}
	if err := s.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(s.Dropped()), "dropped")
}
