package chat_test

import (
	"context"
	"strconv"
	"testing"

	"chatserver/chat"
)

// BenchmarkFanoutSync measures what a message costs its sender in a room
// of 1 000, on one goroutine: no writer runs beside it (the benchmark
// drains the outboxes itself, every 64 messages), so the figure is the
// fan-out alone, steadier than BenchmarkFanout's on a busy machine, and
// its instruction count (valgrind --tool=callgrind) repeats from run to
// run. The sub-benchmark "ignoring" has one member ignore someone else,
// so that every fan-out looks at each member's ignore list.
func BenchmarkFanoutSync(b *testing.B) {
	for _, ignoring := range []bool{false, true} {
		name := "nobody-ignores"
		if ignoring {
			name = "ignoring"
		}
		b.Run(name, func(b *testing.B) {
			const members = 1000
			h := newHub(b, nil)
			ctx := context.Background()
			sender := login(b, h, "sender")
			outs := make([]*chat.Outbox, 0, members-1)
			for i := range members - 1 {
				s := login(b, h, "u"+strconv.Itoa(i))
				if ignoring && i == 0 {
					s.Input(ctx, "/ignore someone-else")
				}
				outs = append(outs, s.Outbox())
			}
			var buf []*chat.Event
			n := 0
			for b.Loop() {
				sender.Input(ctx, "a message of a typical length, said to a big room")
				if n++; n%64 == 0 {
					for _, o := range outs {
						buf, _, _ = o.Drain(buf)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*(members-1)), "ns/delivery")
		})
	}
}
