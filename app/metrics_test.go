package app_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat/store/storetest"
)

// scrape reads srv's /metrics as a map from "name{labels}" to value.
func scrape(t *testing.T, srv *apptest.Server) map[string]float64 {
	t.Helper()
	body, code := get(t, srv, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", code, body)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		m[l[:i]] = v
	}
	return m
}

// get returns the body and status of GET path on srv's metrics address.
func get(t *testing.T, srv *apptest.Server, path string) (string, int) {
	t.Helper()
	resp, err := http.Get("http://" + srv.App.MetricsAddr().String() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return string(b), resp.StatusCode
}

// moved waits until metric name grew by want since before (at least want
// with atLeast) and returns the scrape that showed it.
func moved(t *testing.T, srv *apptest.Server, before map[string]float64, name string, want float64, atLeast bool) map[string]float64 {
	t.Helper()
	var now map[string]float64
	apptest.Eventually(t, name+" grew by "+strconv.FormatFloat(want, 'g', -1, 64), func() bool {
		now = scrape(t, srv)
		d := now[name] - before[name]
		return d == want || atLeast && d >= want
	})
	return now
}

func metricsConfig(t *testing.T) app.Config {
	cfg := apptest.Config(t)
	cfg.MetricsAddr = "127.0.0.1:0"
	return cfg
}

// TestMetricsAfterSession scrapes /metrics after a scripted telnet
// session: a refused login, a message in a room of three (two
// deliveries), a flood, and checks that each moved what it should, and
// only by that.
func TestMetricsAfterSession(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, metricsConfig(t))
	m0 := scrape(t, srv)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", `chatserver_users_online{door="telnet"}`,
		"chatserver_rooms", "chatserver_fanout_seconds_count", "chatserver_ssh_ui_frame_seconds_count",
		"chatserver_ssh_ui_frame_bytes_count", "chatserver_history_batch_seconds_count", "chatserver_history_writes_total",
		"chatserver_history_dropped_total", "chatserver_slow_clients_cut_total"} {
		if _, ok := m0[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}

	refused := apptest.Dial(t, srv.Telnet)
	refused.Welcome()
	refused.Send("system")
	refused.Expect("<system> That username is reserved, please try another one.")
	m1 := moved(t, srv, m0, `chatserver_login_refusals_total{reason="name_reserved"}`, 1, false)
	if d := m1["chatserver_logins_total"] - m0["chatserver_logins_total"]; d != 0 {
		t.Errorf("logins grew by %v after a refusal, want 0", d)
	}

	var cs []*apptest.Client
	for _, name := range []string{"alice", "bob", "carol"} {
		c := apptest.Login(t, srv.Telnet, name)
		enter(c, name, "trio")
		cs = append(cs, c)
	}
	for _, c := range cs {
		c.Sync()
	}
	m2 := moved(t, srv, m1, "chatserver_logins_total", 3, false)
	if got := m2[`chatserver_users_online{door="telnet"}`]; got != 3 {
		t.Errorf("users online on telnet = %v, want 3", got)
	}
	cs[0].Send("hi there")
	cs[1].Expect("<alice> hi there")
	cs[2].Expect("<alice> hi there")
	m3 := moved(t, srv, m2, "chatserver_messages_total", 1, false)
	if d := m3["chatserver_deliveries_total"] - m2["chatserver_deliveries_total"]; d != 2 {
		t.Errorf("deliveries grew by %v for a message to a room of 3, want 2", d)
	}
	if d := m3["chatserver_fanout_seconds_count"] - m2["chatserver_fanout_seconds_count"]; d != 1 {
		t.Errorf("fan-out histogram count grew by %v, want 1", d)
	}
	moved(t, srv, m2, "chatserver_history_writes_total", 1, true)
	moved(t, srv, m2, "chatserver_history_batch_seconds_count", 1, true)

	flooder := apptest.Login(t, srv.Telnet, "dave")
	enter(flooder, "dave", "alone")
	m4 := scrape(t, srv)
	flooder.SendRaw([]byte(strings.Repeat("flood\r\n", 40))) // twice the burst at once
	flooder.SyncFlooded("dave")
	m5 := moved(t, srv, m4, "chatserver_flood_dropped_lines_total", 1, true)
	if d := m5["chatserver_deliveries_total"] - m4["chatserver_deliveries_total"]; d != 0 {
		t.Errorf("deliveries grew by %v for lines said in an empty room, want 0", d)
	}
}

// TestMetricsSlowClient: a client that never reads while its own outbox
// fills (its /help answers) shows in the slow-client drops.
func TestMetricsSlowClient(t *testing.T) {
	t.Parallel()
	cfg := metricsConfig(t)
	cfg.FloodRate = 0 // one connection sends its thousands of lines at once
	srv := apptest.Start(t, cfg)
	m0 := scrape(t, srv)
	conn, err := net.Dial("tcp", srv.Telnet)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10) // never read, and hold little in the kernel
	if _, err := conn.Write([]byte("stalled\r\n" + strings.Repeat("/help\r\n", 3000))); err != nil {
		t.Fatal(err)
	}
	moved(t, srv, m0, "chatserver_slow_client_dropped_lines_total", 1, true)
}

// TestReadyz: /healthz and /readyz answer 200 while the server serves;
// /readyz is 503 with the reason once the store cannot write.
func TestReadyz(t *testing.T) {
	t.Parallel()
	cfg := metricsConfig(t)
	srv := apptest.Start(t, cfg)
	if body, code := get(t, srv, "/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz = %d %q, want 200", code, body)
	}
	apptest.Eventually(t, "/readyz is 200", func() bool {
		_, code := get(t, srv, "/readyz")
		return code == http.StatusOK
	})
	if !storetest.ReadOnly(t, cfg.DataDir) {
		t.Skip("cannot make a folder read-only here")
	}
	body, code := get(t, srv, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store not writable") {
		t.Errorf("GET /readyz on a read-only data folder = %d %q, want 503 \"not ready: store not writable: …\"", code, body)
	}
	if _, code := get(t, srv, "/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz on a read-only data folder = %d, want 200: the process is alive", code)
	}
}

// TestMetricsSSHFrames: a session of the SSH UI shows in the frame
// histograms and in the users online on the ssh door.
func TestMetricsSSHFrames(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, metricsConfig(t))
	m0 := scrape(t, srv)
	sc := apptest.DialSSH(t, srv.SSH, "zed", apptest.NewKey(t), nil)
	defer sc.Close()
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sess.Stdout = io.Discard
	if err := sess.RequestPty("xterm-256color", 40, 120, nil); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	m1 := moved(t, srv, m0, "chatserver_ssh_ui_frame_seconds_count", 1, true)
	if m1["chatserver_ssh_ui_frame_bytes_sum"] <= m0["chatserver_ssh_ui_frame_bytes_sum"] {
		t.Errorf("frame bytes sum did not grow with frames drawn")
	}
	moved(t, srv, m0, `chatserver_users_online{door="ssh"}`, 1, false)
}
