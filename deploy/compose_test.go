package deploy

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"chatserver/app"
	"chatserver/app/metrics"
)

// compose is what the test reads of compose.yaml.
type compose struct {
	Services map[string]struct {
		Image    string
		Build    struct{ Context, Dockerfile string }
		Command  []string
		Volumes  []string
		Ports    []string
		Networks map[string]struct {
			IPv4Address string `yaml:"ipv4_address"`
		}
	}
	Volumes map[string]any
}

// serveFlags are the flags of chatserver serve, read from its one flag
// table (cmd/chatserver/root.go's serveFlagSet) as text: the command is a
// main package, which a test cannot import.
func serveFlags(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../cmd/chatserver/root.go")
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`fl\.\w+Var\(&[^,]+, (?:"([a-z-]+)"|configFlag)`).FindAllSubmatch(b, -1) {
		flags = append(flags, string(m[1]))
	}
	if !slices.Contains(flags, "nats") || !slices.Contains(flags, "telnet-addr") {
		t.Fatalf("serve's flags read from root.go: %q, want --nats and --telnet-addr among them", flags)
	}
	return flags
}

// TestCompose: compose.yaml starts a 3-server NATS cluster with JetStream,
// each server routed to the others and storing in a volume of its own;
// three chatserver nodes built from the Dockerfile, each with its own
// name and data volume, every NATS server's URL, the one SSH host key,
// and only flags serve has; and haproxy in front of them on the two doors,
// checking each node's /readyz on the metrics port.
func TestCompose(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	natsServers := []string{"nats1", "nats2", "nats3"}
	var urls []string
	for _, name := range natsServers {
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
		cmd := strings.Join(s.Command, " ")
		if !strings.HasPrefix(s.Image, "nats:") || !strings.Contains(cmd, "-js") || !strings.Contains(cmd, "--cluster_name chat") ||
			!strings.Contains(cmd, "-sd /data") || !strings.Contains(cmd, "--cluster nats://0.0.0.0:6222") {
			t.Errorf("service %s: image %q, command %q, want nats with -js, -sd /data, --cluster_name chat and --cluster", name, s.Image, cmd)
		}
		for _, other := range natsServers {
			if other != name && !strings.Contains(cmd, "nats://"+other+":6222") {
				t.Errorf("service %s routes %q, want a route to %s", name, cmd, other)
			}
		}
		if want := name + ":/data"; !slices.Contains(s.Volumes, want) {
			t.Errorf("service %s volumes %q, want %s", name, s.Volumes, want)
		}
		urls = append(urls, "nats://"+name+":4222")
	}

	flags := serveFlags(t)
	hostKey := ""
	nodes := []string{"chat1", "chat2", "chat3"}
	proxyFrom := map[string]string{}
	for _, name := range nodes {
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
		if s.Build.Context != ".." || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("service %s builds %+v, want context .. and deploy/Dockerfile", name, s.Build)
		}
		if len(s.Command) == 0 || s.Command[0] != "serve" {
			t.Fatalf("service %s command %q, want serve …", name, s.Command)
		}
		given := map[string]string{}
		for i := 1; i < len(s.Command); i++ {
			f, ok := strings.CutPrefix(s.Command[i], "--")
			if !ok || i+1 == len(s.Command) {
				t.Fatalf("service %s: %q is not a --flag followed by its value", name, s.Command[i])
			}
			if !slices.Contains(flags, f) {
				t.Errorf("service %s: serve has no --%s", name, f)
			}
			given[f] = s.Command[i+1]
			i++
		}
		proxyFrom[name] = given["proxy-from"]
		if _, ok := given["max-conns-per-ip"]; ok {
			t.Errorf("service %s: --max-conns-per-ip %s: the node caps users' own addresses, read from the balancer's PROXY header", name, given["max-conns-per-ip"])
		}
		if given["node-name"] != name || given["nats"] != strings.Join(urls, ",") {
			t.Errorf("service %s: --node-name %q --nats %q, want %s and %s", name, given["node-name"], given["nats"], name, strings.Join(urls, ","))
		}
		if want := name + ":/data"; !slices.Contains(s.Volumes, want) {
			t.Errorf("service %s volumes %q, want %s (its own data folder)", name, s.Volumes, want)
		}
		key := ""
		for _, v := range s.Volumes {
			if strings.Contains(v, ":/data/"+app.HostKeyFile) {
				key = v
			}
		}
		if !strings.HasSuffix(key, ":/data/"+app.HostKeyFile+":ro") || hostKey != "" && key != hostKey {
			t.Errorf("service %s mounts host key %q, want the one file every node mounts read-only at /data/%s", name, key, app.HostKeyFile)
		}
		hostKey = key
	}
	for _, name := range append(natsServers, nodes...) {
		if _, ok := c.Volumes[name]; !ok {
			t.Errorf("compose.yaml declares no volume %s", name)
		}
	}

	lb, ok := c.Services["lb"]
	if !ok {
		t.Fatal("compose.yaml has no service lb")
	}
	if !strings.HasPrefix(lb.Image, "haproxy:") || !slices.Contains(lb.Ports, "8999:8999") || !slices.Contains(lb.Ports, "2222:2222") ||
		!slices.Contains(lb.Volumes, "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro") {
		t.Errorf("service lb: image %q ports %q volumes %q, want haproxy on 8999 and 2222 with ./haproxy.cfg", lb.Image, lb.Ports, lb.Volumes)
	}
	// The nodes read a PROXY header from the balancer, and from it alone.
	lbAddr := lb.Networks["default"].IPv4Address
	for _, n := range nodes {
		if lbAddr == "" || proxyFrom[n] != lbAddr {
			t.Errorf("service %s: --proxy-from %q, want lb's fixed address %q", n, proxyFrom[n], lbAddr)
		}
	}
	checkHAProxy(t, nodes)
}

// checkHAProxy: haproxy.cfg balances telnet and SSH over every node, each
// checked by its /readyz on the metrics port, each connection starting
// with a PROXY v2 header.
func checkHAProxy(t *testing.T, nodes []string) {
	b, err := os.ReadFile("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	_, port, _ := net.SplitHostPort(metrics.DefaultAddr)
	for _, want := range []string{"mode tcp", "bind :8999", "bind :2222", "option httpchk GET /readyz", "check port " + port} {
		if !strings.Contains(cfg, want) {
			t.Errorf("haproxy.cfg has no %q", want)
		}
	}
	for _, n := range nodes {
		for _, door := range []string{"8999", "2222"} {
			if want := "server " + n + " " + n + ":" + door + " send-proxy-v2\n"; !strings.Contains(cfg, want) {
				t.Errorf("haproxy.cfg has no %q", want)
			}
		}
	}
}
