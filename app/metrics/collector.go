package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"chatserver/chat"
)

var (
	descOnline     = prometheus.NewDesc("chatserver_users_online", "Users logged in, by door.", []string{"door"}, nil)
	descRooms      = prometheus.NewDesc("chatserver_rooms", "Rooms there are.", nil, nil)
	descLogins     = prometheus.NewDesc("chatserver_logins_total", "Logins that succeeded.", nil, nil)
	descRefusals   = prometheus.NewDesc("chatserver_login_refusals_total", "Logins refused, by reason.", []string{"reason"}, nil)
	descMessages   = prometheus.NewDesc("chatserver_messages_total", "Room messages said.", nil, nil)
	descDeliveries = prometheus.NewDesc("chatserver_deliveries_total", "Room messages queued for a member.", nil, nil)
	descSlowDrops  = prometheus.NewDesc("chatserver_slow_client_dropped_lines_total", "Lines dropped from the full outboxes of slow clients.", nil, nil)
	descSlowCut    = prometheus.NewDesc("chatserver_slow_clients_cut_total", "Sessions cut for not reading.", nil, nil)
	descFlood      = prometheus.NewDesc("chatserver_flood_dropped_lines_total", "Lines dropped by flood control.", nil, nil)
	descWrites     = prometheus.NewDesc("chatserver_history_writes_total", "Messages written to the store.", nil, nil)
	descHistDrops  = prometheus.NewDesc("chatserver_history_dropped_total", "Messages never stored: the write queue was full or their batch failed.", nil, nil)
)

// hubCollector reads the engine's and the store's counters at scrape time.
type hubCollector struct {
	hub     *chat.Hub
	history History // nil without a store that writes
}

// Describe sends every metric's description.
func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOnline, descRooms, descLogins, descRefusals, descMessages,
		descDeliveries, descSlowDrops, descSlowCut, descFlood} {
		ch <- d
	}
	if c.history != nil {
		ch <- descWrites
		ch <- descHistDrops
	}
}

// Collect reads the counters.
func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.hub
	byDoor := h.OnlineByDoor()
	for _, door := range []string{"telnet", "ssh"} { // shown at 0 too
		byDoor[door] += 0
	}
	for door, n := range byDoor {
		ch <- prometheus.MustNewConstMetric(descOnline, prometheus.GaugeValue, float64(n), door)
	}
	ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(len(h.Rooms())))
	st := h.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descLogins, st.Logins())
	for i, reason := range chat.RefusalReasons {
		counter(descRefusals, st.Refused(i), reason)
	}
	counter(descMessages, st.Messages())
	counter(descDeliveries, st.Deliveries())
	slow := h.SlowClients()
	counter(descSlowDrops, slow.Dropped())
	counter(descSlowCut, slow.Cut())
	counter(descFlood, st.FloodDrops())
	if c.history != nil {
		counter(descWrites, c.history.Written())
		counter(descHistDrops, c.history.Dropped())
	}
}
