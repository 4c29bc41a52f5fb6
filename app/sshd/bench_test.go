package sshd_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
)

// benchServerEnv makes the test binary a bare server for the benchmarks,
// so that what they measure is the server's memory and not their clients'.
const benchServerEnv = "SSHD_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		if err := benchServer(); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchServer serves SSH on a loopback port, prints "addr HOST:PORT", and
// answers each "mem" line on stdin with "mem HEAP SYS RSS GOROUTINES ONLINE"
// after a GC, until stdin ends.
func benchServer() error {
	dir, err := os.MkdirTemp("", "sshd-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Config{
		// No plugins: helperbot's join lines would pile up N² entries in
		// the sessions' message panes, which is not what idle costs.
		SSHAddr: "127.0.0.1:0", DataDir: dir,
		FloodBurst: chat.DefaultFloodBurst, FloodRate: chat.DefaultFloodRate,
		MaxConns: 1 << 20, MaxConnsPerIP: 1 << 20,
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	fmt.Printf("addr %s\n", a.SSHAddr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "mem" {
			continue
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if path := os.Getenv("SSHD_BENCH_HEAPPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		fmt.Printf("mem %d %d %d %d %d\n", ms.HeapAlloc, ms.Sys, rss(), runtime.NumGoroutine(), a.Hub().Online())
	}
	cancel()
	return <-done
}

// rss returns this process's resident set size in bytes, or 0.
func rss() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type memStat struct{ heap, sys, rss, goroutines, online int64 }

// benchProc is the server process of a benchmark.
type benchProc struct {
	addr string
	in   io.WriteCloser
	out  *bufio.Scanner
}

func startBenchServer(b *testing.B) *benchProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	p := &benchProc{in: in, out: bufio.NewScanner(out)}
	if !p.out.Scan() {
		b.Fatal("bench server said nothing")
	}
	p.addr = strings.TrimPrefix(p.out.Text(), "addr ")
	return p
}

func (p *benchProc) mem(b *testing.B) memStat {
	b.Helper()
	io.WriteString(p.in, "mem\n")
	if !p.out.Scan() {
		b.Fatal("bench server gone")
	}
	var m memStat
	if _, err := fmt.Sscanf(p.out.Text(), "mem %d %d %d %d %d", &m.heap, &m.sys, &m.rss, &m.goroutines, &m.online); err != nil {
		b.Fatalf("bench server said %q: %v", p.out.Text(), err)
	}
	return m
}

// openUI opens an 80x24 pty session as name whose output is dropped; it returns once the first frame has arrived.
func openUI(b *testing.B, addr, name string) {
	sc := apptest.DialSSH(b, addr, name, nil, nil)
	sess, err := sc.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	out, _ := sess.StdoutPipe()
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	framed := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		seen := false
		for {
			k, err := out.Read(buf)
			if !seen && strings.Contains(string(buf[:k]), "Users (") {
				seen = true
				close(framed)
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-framed:
	case <-time.After(apptest.Wait):
		b.Fatalf("no frame for %s within %v", name, apptest.Wait)
	}
}

// BenchmarkIdleUISession opens b.N SSH sessions with an 80x24 pty, one per
// iteration (ns/op is the time to connect, log in and draw the first
// frame), leaves them idle and reports what each costs the server process:
// live heap after a GC, resident memory and goroutines.
//
//	go test -run '^$' -bench IdleUISession -benchtime 500x ./app/sshd/
func BenchmarkIdleUISession(b *testing.B) {
	p := startBenchServer(b)
	openUI(b, p.addr, "warmup")
	time.Sleep(500 * time.Millisecond)
	before := p.mem(b)
	n := 0
	for b.Loop() {
		openUI(b, p.addr, fmt.Sprintf("u%d", n))
		n++
	}
	time.Sleep(time.Second) // let the last frames and the rosters settle
	after := p.mem(b)
	if after.online != before.online+int64(n) {
		b.Fatalf("online %d, want %d", after.online, before.online+int64(n))
	}
	per := func(a, b int64) float64 { return float64(a-b) / float64(n) }
	b.ReportMetric(per(after.heap, before.heap), "heap-B/session")
	b.ReportMetric(per(after.rss, before.rss), "rss-B/session")
	b.ReportMetric(per(after.goroutines, before.goroutines), "goroutines/session")
}
