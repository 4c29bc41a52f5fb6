package conncap

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// fakeListener fails its first accepts with EMFILE as the kernel does, then
// returns a connection per Accept; it records when each Accept came.
type fakeListener struct {
	fails int
	calls []time.Duration
	start time.Time
}

func (f *fakeListener) Accept() (net.Conn, error) {
	f.calls = append(f.calls, time.Since(f.start))
	if len(f.calls) <= f.fails {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	c, _ := net.Pipe()
	return c, nil
}
func (f *fakeListener) Close() error   { return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

// TestListenerBacksOff runs out of descriptors for 30 accepts: Accept does
// not return the error, it waits 5 ms doubling to 1 s between tries, logs
// one line per 10 s with the failures since the line before, and says when
// accepts work again.
func TestListenerBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime}))
		f := &fakeListener{fails: 30, start: time.Now()}
		l := NewListener(f, "telnet", log)
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			t.Fatalf("Accept = %v, want a connection", err)
		}
		c.Close()

		var want []time.Duration
		at, backoff := time.Duration(0), time.Duration(0)
		for range 31 {
			want = append(want, at)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			at += backoff
		}
		if len(f.calls) != len(want) {
			t.Fatalf("%d accepts, want %d", len(f.calls), len(want))
		}
		for i := range want {
			if f.calls[i] != want[i] {
				t.Errorf("accept %d at %v, want %v", i, f.calls[i], want[i])
			}
		}

		time.Sleep(10 * time.Second) // the recovery line waits for its turn
		synctest.Wait()
		got := strings.Split(strings.TrimSpace(logs.String()), "\n")
		// Accept n > 8 comes at 1.275 s + (n-9) s: lines for failure 1, for
		// 2-18 (at 10.275 s), for 19-28 (at 20.275 s), and 29-30 with the
		// recovery, 10 s after the line before.
		wantLines := []string{
			`level=WARN msg="accept failed, backing off" door=telnet failures=1 err="accept tcp: accept4: too many open files" retry_in=5ms`,
			`level=WARN msg="accept failed, backing off" door=telnet failures=17 err="accept tcp: accept4: too many open files" retry_in=1s`,
			`level=WARN msg="accept failed, backing off" door=telnet failures=10 err="accept tcp: accept4: too many open files" retry_in=1s`,
			`level=INFO msg="accepting again" door=telnet failures=2`,
		}
		if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
			t.Errorf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
		}
	})
}

// TestListenerCloseWhileBackingOff: Close ends an Accept that waits to
// retry, with net.ErrClosed.
func TestListenerCloseWhileBackingOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewListener(&fakeListener{fails: 1 << 30, start: time.Now()}, "ssh", nil)
		errc := make(chan error, 1)
		go func() {
			_, err := l.Accept()
			errc <- err
		}()
		time.Sleep(3 * time.Second)
		l.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	})
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
