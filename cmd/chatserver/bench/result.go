package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Result is what a run measured. Times are in seconds unless the name says
// otherwise; it marshals to the JSON of chatserver bench --json.
type Result struct {
	Door    string  `json:"door"`
	Addr    string  `json:"addr"`
	Users   int     `json:"users"`
	Senders int     `json:"senders"`
	Stalled int     `json:"stalled"`
	Rooms   int     `json:"rooms"`
	Rate    float64 `json:"rate"` // per sender; 0 = as fast as the window allows
	Window  int     `json:"window,omitempty"`
	Size    int     `json:"size"`
	Pty     string  `json:"pty,omitempty"`

	Logins       int      `json:"logins"`
	LoginTime    float64  `json:"login_seconds"`
	LoginsPerSec float64  `json:"logins_per_sec"`
	LoginLatency *Latency `json:"login_latency_ms,omitempty"`
	// LoginClientCPUPercent is this process's CPU during the logins, in % of a core.
	LoginClientCPUPercent float64 `json:"login_client_cpu_percent"`

	Duration         float64 `json:"duration_seconds"`  // of the send phase
	DeliverySpan     float64 `json:"delivery_seconds"`  // from the first send to the last delivery
	Sent             int64   `json:"sent"`              // lines sent
	Expected         int64   `json:"expected"`          // deliveries due: each line to every other reader of its room
	Delivered        int64   `json:"delivered"`         // deliveries seen, each line once per receiver
	Missing          int64   `json:"missing"`           // due and never seen
	MissingReceivers int     `json:"missing_receivers"` // receivers that missed at least one line
	Duplicates       int64   `json:"duplicates"`        // line modes: a line seen twice by one receiver
	Redraws          int64   `json:"redraws,omitempty"` // pty: a line seen again on a redrawn screen (not an error)
	Torn             int64   `json:"torn,omitempty"`    // pty: an id pieced together from a half-drawn screen (ignored)
	Stray            int64   `json:"stray"`             // an id no one sent to that receiver
	Stale            int64   `json:"stale,omitempty"`   // ids from before this run (room history)
	ExactlyOnce      bool    `json:"exactly_once"`      // every line reached every reader once
	// The order check: every reader of a room saw its lines in one order.
	InOrder             bool         `json:"in_order"`
	OrderChecked        int64        `json:"order_checked"`             // deliveries compared with their room's reference reader
	OrderViolations     int64        `json:"order_violations"`          // a line got before one the reference got earlier
	OrderFirst          string       `json:"order_first,omitempty"`     // the first violation
	OrderNotInReference int64        `json:"order_not_in_reference"`    // deliveries of lines the reference never got: not compared
	OrderUnchecked      int64        `json:"order_unchecked,omitempty"` // deliveries past a receiver's log bound: not compared
	Nodes               []NodeResult `json:"nodes,omitempty"`           // per address, with several
	DeliveriesPerSec    float64      `json:"deliveries_per_sec"`        // Delivered / DeliverySpan
	Latency             *Latency     `json:"latency_ms,omitempty"`      // send to receipt, per delivery
	ServerDropped       int64        `json:"server_dropped"`            // lines the server told readers it dropped
	FloodWarnings       int64        `json:"flood_warnings"`            // "You're sending too fast" lines seen
	OtherLines          int64        `json:"other_lines"`               // lines during the send phase that were not ids
	Disconnected        int64        `json:"disconnected"`              // sessions the server ended during the run
	StalledEnded        int          `json:"stalled_ended"`             // telnet: stalled users the server had disconnected by the end
	ClientCPUPercent    float64      `json:"client_cpu_percent"`        // this process, during the send and drain phases
	Server              *ServerStats `json:"server,omitempty"`          // with --server-pid
	Interrupted         bool         `json:"interrupted,omitempty"`
	Errors              []string     `json:"errors,omitempty"`
}

// NodeResult is what the users logged in through one address saw.
type NodeResult struct {
	Addr      string   `json:"addr"`
	Users     int      `json:"users"`
	Delivered int64    `json:"delivered"`
	Latency   *Latency `json:"latency_ms,omitempty"`
}

// ServerStats is what /proc said of the server process, or of several
// added up.
type ServerStats struct {
	PID            int     `json:"pid"`
	PIDs           []int   `json:"pids,omitempty"`   // with several: all of them, PID first
	CPUUser        float64 `json:"cpu_user_seconds"` // during the send and drain phases
	CPUSys         float64 `json:"cpu_sys_seconds"`
	CPUPercent     float64 `json:"cpu_percent"`         // of one core
	CPUPerDelivery float64 `json:"cpu_us_per_delivery"` // microseconds
	LoginCPU       float64 `json:"login_cpu_seconds"`   // during the logins
	CPUPerLogin    float64 `json:"cpu_us_per_login"`    // microseconds
	RSSStart       int64   `json:"rss_start_bytes"`
	RSSLoggedIn    int64   `json:"rss_logged_in_bytes"`
	RSSEnd         int64   `json:"rss_end_bytes"`
	RSSPerUser     float64 `json:"rss_per_user_bytes"` // (logged in - start) / users
}

// Latency is a distribution's percentiles in milliseconds.
type Latency struct {
	N    uint64  `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

func latencyOf(s Snapshot) *Latency {
	if s.N == 0 {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return &Latency{N: s.N, P50: ms(s.Percentile(50)), P90: ms(s.Percentile(90)), P99: ms(s.Percentile(99)),
		P999: ms(s.Percentile(99.9)), Max: ms(s.Max)}
}

// WriteText writes the result for people.
func (r *Result) WriteText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	rate := fmt.Sprintf("%g lines/s each", r.Rate)
	if r.Rate == 0 {
		rate = fmt.Sprintf("as fast as possible, window %d", r.Window)
	}
	if r.Senders == 0 || r.Duration == 0 {
		rate = "no lines sent"
	}
	door := r.Door
	if r.Pty != "" {
		door += " pty " + r.Pty
	}
	p("%s %s: %d users (%d stalled) in %d room(s), %d senders, %s, %d-byte lines", door, r.Addr, r.Users, r.Stalled, r.Rooms, r.Senders, rate, r.Size)
	p("logins       %d in %.2fs: %s/s", r.Logins, r.LoginTime, si(r.LoginsPerSec))
	p("  each       %s", latencyText("", r.LoginLatency, ""))
	if r.Server != nil {
		p("  cpu        server %.2fs = %.1f µs per login; client %.0f%% of a core", r.Server.LoginCPU, r.Server.CPUPerLogin, r.LoginClientCPUPercent)
	} else {
		p("  cpu        client %.0f%% of a core", r.LoginClientCPUPercent)
	}
	if r.Server != nil && r.Server.RSSStart > 0 {
		p("server rss   %s before, %s logged in (%s per user), %s at the end",
			bytesText(r.Server.RSSStart), bytesText(r.Server.RSSLoggedIn), bytesText(int64(r.Server.RSSPerUser)), bytesText(r.Server.RSSEnd))
	}
	if r.Senders == 0 || r.Duration == 0 {
		return
	}
	verdict := "every line delivered exactly once"
	if !r.ExactlyOnce {
		verdict = "NOT exactly once"
	}
	pct := 100.0
	if r.Expected > 0 {
		pct = 100 * float64(r.Delivered) / float64(r.Expected)
	}
	p("delivered    %d/%d (%.3f%%) of %d lines sent in %.2fs: %s", r.Delivered, r.Expected, pct, r.Sent, r.Duration, verdict)
	if r.Missing > 0 || r.Duplicates > 0 || r.Stray > 0 {
		p("  errors     missing %d (at %d receivers), duplicates %d, stray %d", r.Missing, r.MissingReceivers, r.Duplicates, r.Stray)
	}
	if !r.InOrder {
		p("  order      %d violations in %d deliveries checked: %s", r.OrderViolations, r.OrderChecked, r.OrderFirst)
	}
	if len(r.Nodes) > 0 {
		p("order        %d deliveries checked against each room's reference reader: %s; %d of lines the reference lacks not compared",
			r.OrderChecked, orderVerdict(r.InOrder), r.OrderNotInReference)
		for _, n := range r.Nodes {
			p("  node       %s: %d users, %d deliveries, %s", n.Addr, n.Users, n.Delivered, latencyText("", n.Latency, ""))
		}
	}
	if r.Redraws > 0 || r.Torn > 0 {
		p("  screen     %d ids seen again on redraws, %d torn ids ignored (not errors)", r.Redraws, r.Torn)
	}
	p("throughput   %s deliveries/s over %.2fs", si(r.DeliveriesPerSec), r.DeliverySpan)
	p("latency      %s", latencyText("", r.Latency, ""))
	if r.Server != nil {
		procs := ""
		if len(r.Server.PIDs) > 1 {
			procs = fmt.Sprintf(" (%d processes added up)", len(r.Server.PIDs))
		}
		p("server cpu   %.2fs user + %.2fs sys = %.0f%% of a core, %.3f µs per delivery%s",
			r.Server.CPUUser, r.Server.CPUSys, r.Server.CPUPercent, r.Server.CPUPerDelivery, procs)
	}
	p("client cpu   %.0f%% of a core", r.ClientCPUPercent)
	if r.ServerDropped > 0 || r.Disconnected > 0 {
		p("server       dropped %d lines for slow readers, ended %d sessions", r.ServerDropped, r.Disconnected)
	}
	if r.Stalled > 0 {
		p("stalled      %d of %d stalled users disconnected by the server by the end", r.StalledEnded, r.Stalled)
	}
	if r.FloodWarnings > 0 {
		p("WARNING      %d \"sending too fast\" lines: the server's flood control is on; run it with --flood-rate 0", r.FloodWarnings)
	}
	if r.Interrupted {
		p("interrupted")
	}
	for _, e := range r.Errors {
		p("error        %s", e)
	}
}

func orderVerdict(inOrder bool) string {
	if inOrder {
		return "one order per room on every node"
	}
	return "NOT one order"
}

func latencyText(before string, l *Latency, after string) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("%sp50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)%s",
		before, msText(l.P50), msText(l.P90), msText(l.P99), msText(l.P999), msText(l.Max), l.N, after)
}

func msText(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.0fµs", ms*1000)
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}

// si writes n with a k or M suffix.
func si(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", n/1e3)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", n), ".0")
}

func bytesText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
