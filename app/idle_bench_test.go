package app_test

import (
	"bufio"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"chatserver/app/apptest"
)

// BenchmarkIdleTelnetStack logs b.N telnet users in, one per iteration,
// each of whom then switches to a room of its own, as `chatserver bench`
// does, and reports the goroutine stack each idle user keeps: the reader's
// (its 4 KB, not 8, since logins and commands run off it), and the heap.
//
//	go test -run '^$' -bench IdleTelnetStack -benchtime 500x ./app/
func BenchmarkIdleTelnetStack(b *testing.B) {
	cfg := apptest.Config(b)
	cfg.Plugins = nil
	cfg.MaxConnsPerIP = 1 << 20
	cfg.FloodRate = 0
	srv := apptest.Start(b, cfg)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	stack, heap := ms.StackInuse, ms.HeapAlloc
	var conns []net.Conn
	n := 0
	for b.Loop() {
		c, err := net.Dial("tcp", srv.Telnet)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		br := bufio.NewReader(c)
		c.Write([]byte("u" + strconv.Itoa(n) + "\r\n/switch bench\r\n"))
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(l, "<system> Switched to room") {
				break
			}
		}
		n++
	}
	runtime.ReadMemStats(&ms) // no GC first: a GC would shrink grown stacks, an idle server seldom runs one
	b.ReportMetric(float64(int64(ms.StackInuse)-int64(stack))/float64(n), "stack-B/user")
	b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(heap))/float64(n), "heap-B/user")
	for _, c := range conns {
		c.Close()
	}
}
