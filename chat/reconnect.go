package chat

// The lines every user of a node gets when the node loses its connection
// to the rest of the server (the other nodes, through NATS) and when it is
// back (issue 14, slice 6; cluster/DESIGN.md "Reconnect").
const (
	TextConnectionLost = "The connection to the rest of the server was lost; reconnecting."
	TextReconnected    = "Reconnected."
)

// NotifyAll tells every session of this hub the system line text: the
// cluster's connection lost or back. The line is queued on each session's
// outbox, as Session.Notify queues it, never blocking on a slow reader.
// Safe from any goroutine with no engine lock held.
func (h *Hub) NotifyAll(text string) {
	h.mu.RLock()
	all := make([]*Session, 0, len(h.users))
	for _, s := range h.users {
		all = append(all, s)
	}
	h.mu.RUnlock()
	ev := h.systemEvent(text)
	for _, s := range all {
		s.out.Push(ev)
	}
}
