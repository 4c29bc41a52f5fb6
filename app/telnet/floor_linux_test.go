package telnet

import (
	"bytes"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoopbackWriteFloor measures what one line costs the kernel: a
// 64-byte write to one of 1 000 loopback TCP connections whose other ends
// are being read, as a telnet fan-out does with one write a line. It
// reports the writing thread's CPU time a write (thread-ns/write), which
// on Linux includes the loopback's delivery to the reading socket. No
// server code runs: this is the floor under the per-delivery figures of
// BENCHMARKS.md.
func BenchmarkLoopbackWriteFloor(b *testing.B) {
	const conns = 1000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	servers := make([]net.Conn, 0, conns)
	for range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		go func() { // the client: reads and discards
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		s, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		servers = append(servers, s)
	}
	line := append(bytes.Repeat([]byte("x"), 62), '\r', '\n')
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadCPU(b)
	b.ResetTimer()
	for i := range b.N {
		if _, err := servers[i%conns].Write(line); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(threadCPU(b)-before)/float64(b.N), "thread-ns/write")
}

// threadCPU returns the CPU time, user and system, of the calling thread.
func threadCPU(b *testing.B) time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
