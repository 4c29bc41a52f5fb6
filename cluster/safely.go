package cluster

import (
	"log/slog"
	"runtime/debug"

	"chatserver/chat"
)

// recovered runs f, a handler of something NATS delivered (a line, a
// record, a request), and logs and swallows a panic in it, with what it
// handled and the stack: that message is skipped, and the node, with every
// other user on it, goes on, as a door's reader does for a session's
// command (the engine releases its locks before anything that could
// panic on a remote value: CONCURRENCY.md). It reports whether f panicked.
func recovered(log *slog.Logger, what string, f func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("panic handling "+what+": skipped", "panic", v, "stack", string(debug.Stack()))
			panicked = true
		}
	}()
	f()
	return false
}

// guardDeliver returns deliver (chat.Hub.Deliver, given to Lines.Run),
// a panic in which skips the line, logged.
func guardDeliver(log *slog.Logger, deliver func(l chat.Line, seq uint64, mine, live bool)) func(chat.Line, uint64, bool, bool) {
	return func(l chat.Line, seq uint64, mine, live bool) {
		recovered(log, "a room line", func() { deliver(l, seq, mine, live) })
	}
}

// guardGone returns gone and left (chat.Hub.Gone and LeftElsewhere, given
// to Lines.RunGone), a panic in which skips the name gone, logged.
func guardGone(log *slog.Logger, gone func(string) (chat.Departure, bool), left func(name, room string)) (func(string) (chat.Departure, bool), func(string, string)) {
	return func(folded string) (d chat.Departure, ok bool) {
			if recovered(log, "a name gone", func() { d, ok = gone(folded) }) {
				return chat.Departure{}, false
			}
			return d, ok
		}, func(name, room string) {
			recovered(log, "a leave of a name gone", func() { left(name, room) })
		}
}

// guardLost returns lost (chat.Hub.NameLost, given to Names.Run), a panic
// in which is logged.
func guardLost(log *slog.Logger, lost func(string)) func(string) {
	return func(name string) { recovered(log, "a name lost", func() { lost(name) }) }
}
