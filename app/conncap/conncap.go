// Package conncap counts a door's connections against two caps: in total,
// and from one source address; fits the caps under the open-file limit;
// and keeps a door's listener accepting through a lack of descriptors.
package conncap

import (
	"net"
	"sync"
)

// Counter counts connections by source address. Safe for concurrent use.
type Counter struct {
	mu         sync.Mutex
	max, perIP int
	total      int
	byIP       map[string]int
}

// New returns a counter allowing max connections in all and perIP from
// one address.
func New(max, perIP int) *Counter {
	return &Counter{max: max, perIP: perIP, byIP: map[string]int{}}
}

// SetCaps changes the caps; a cap of 0 or less stays as it is (the door's
// default). Connections counted already stay, even over a lowered cap, and
// count against it.
func (c *Counter) SetCaps(max, perIP int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if max > 0 {
		c.max = max
	}
	if perIP > 0 {
		c.perIP = perIP
	}
}

// Take counts a connection from ip and reports true, or reports false and
// counts nothing if either cap is reached.
func (c *Counter) Take(ip string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total >= c.max || c.byIP[ip] >= c.perIP {
		return false
	}
	c.total++
	c.byIP[ip]++
	return true
}

// Give uncounts a connection from ip that Take counted.
func (c *Counter) Give(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byIP[ip]--; c.byIP[ip] <= 0 {
		delete(c.byIP, ip)
	}
}

// Host returns the address a connection came from, without its port: the
// key of the per-address cap.
func Host(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
