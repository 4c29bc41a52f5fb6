package sshd_test

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// reply sends a request of type typ on ch and returns the server's
// answer, failing the test if none comes within apptest.Wait.
func reply(t *testing.T, ch gossh.Channel, typ string, payload []byte) bool {
	t.Helper()
	type answer struct {
		ok  bool
		err error
	}
	ans := make(chan answer, 1)
	go func() {
		ok, err := ch.SendRequest(typ, true, payload)
		ans <- answer{ok, err}
	}()
	select {
	case a := <-ans:
		if a.err != nil {
			t.Fatalf("%s request: %v", typ, a.err)
		}
		return a.ok
	case <-time.After(apptest.Wait):
		t.Fatalf("%s request: no reply after %v", typ, apptest.Wait)
		return false
	}
}

// openSession opens a session channel on sc and discards its requests.
func openSession(t *testing.T, sc *gossh.Client) gossh.Channel {
	t.Helper()
	ch, reqs, err := sc.OpenChannel("session", nil)
	if err != nil {
		t.Fatalf("open session channel: %v", err)
	}
	go gossh.DiscardRequests(reqs)
	return ch
}

func envPayload(name, value string) []byte {
	return gossh.Marshal(struct{ Name, Value string }{name, value})
}

func ptyPayload(w, h int) []byte {
	return gossh.Marshal(struct {
		Term                string
		Columns, Rows, W, H uint32
		Modes               string
	}{"xterm", uint32(w), uint32(h), 0, 0, ""})
}

func windowPayload(w, h int) []byte {
	return gossh.Marshal(struct{ Columns, Rows, W, H uint32 }{uint32(w), uint32(h), 0, 0})
}

// TestChannelsPerConn: a connection may hold two session channels at
// once; a third is refused when it is opened, and one closed makes room
// again. Channels of any other type are refused.
func TestChannelsPerConn(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
	first := openSession(t, sc)
	openSession(t, sc)
	_, _, err := sc.OpenChannel("session", nil)
	var oce *gossh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != gossh.ResourceShortage {
		t.Fatalf("third session channel: err = %v, want a refusal for lack of resources", err)
	}
	first.Close()
	apptest.Eventually(t, "a channel again after one closed", func() bool {
		ch, reqs, err := sc.OpenChannel("session", nil)
		if err != nil {
			return false
		}
		go gossh.DiscardRequests(reqs)
		ch.Close()
		return true
	})
	for _, typ := range []string{"direct-tcpip", "x11", "auth-agent@openssh.com"} {
		if _, _, err := sc.OpenChannel(typ, nil); !errors.As(err, &oce) || oce.Reason != gossh.UnknownChannelType {
			t.Errorf("%s channel: err = %v, want unknown channel type", typ, err)
		}
	}
}

// TestEnvLimits: a session takes at most 32 env requests and 8 KiB of them
// before its shell, and none after.
func TestEnvLimits(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)

	many := openSession(t, sc)
	for i := range 32 {
		if !reply(t, many, "env", envPayload("V", "x")) {
			t.Fatalf("env %d refused, want accepted", i+1)
		}
	}
	if reply(t, many, "env", envPayload("V", "x")) {
		t.Error("env 33 accepted, want refused")
	}
	many.Close()

	big := openSession(t, sc)
	if !reply(t, big, "env", envPayload("TERM", "xterm")) {
		t.Fatal("a small env refused")
	}
	if reply(t, big, "env", envPayload("BIG", strings.Repeat("x", 8<<10))) {
		t.Error("8 KiB of env accepted, want refused")
	}
	if !reply(t, big, "env", envPayload("LANG", "C.UTF-8")) {
		t.Error("a small env after a refused big one refused, want accepted")
	}
	if !reply(t, big, "shell", nil) {
		t.Fatal("shell refused")
	}
	if reply(t, big, "env", envPayload("LATE", "1")) {
		t.Error("env after the shell accepted, want refused")
	}
}

// TestUnservedRequests: what the server does not serve is refused, with a
// reply when one is asked for: agent forwarding, signals, subsystems, X11.
func TestUnservedRequests(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
	ch := openSession(t, sc)
	for _, tc := range []struct {
		typ     string
		payload []byte
	}{
		{"auth-agent-req@openssh.com", nil},
		{"signal", gossh.Marshal(struct{ Signal string }{"INT"})},
		{"subsystem", gossh.Marshal(struct{ Name string }{"sftp"})},
		{"x11-req", gossh.Marshal(struct {
			Single        bool
			Proto, Cookie string
			Screen        uint32
		}{false, "MIT-MAGIC-COOKIE-1", "00", 0})},
	} {
		if reply(t, ch, tc.typ, tc.payload) {
			t.Errorf("%s request accepted, want refused", tc.typ)
		}
	}
	if !reply(t, ch, "shell", nil) { // the channel still works
		t.Fatal("shell refused")
	}
	if reply(t, ch, "signal", gossh.Marshal(struct{ Signal string }{"TERM"})) {
		t.Error("signal in a running session accepted, want refused")
	}
}

// TestExecUnknown: an exec request with a command the server does not
// know (it runs none but "json", exactly) gets one line saying so and
// exit status 1, and logs nobody in.
func TestExecUnknown(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	for _, tc := range []struct{ cmd, want string }{
		{"foo", "foo"},
		{"JSON", "JSON"},
		{"json --pretty", "json --pretty"},
		{"ls -l /", "ls -l /"},
		{"rm\x1b[2J -rf", "rm -rf"},
		{strings.Repeat("x", 100), strings.Repeat("x", 64) + "…(100 bytes)"},
	} {
		t.Run(tc.cmd[:min(len(tc.cmd), 16)], func(t *testing.T) {
			sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
			sess, err := sc.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			out, err := sess.Output(tc.cmd)
			want := "<system> Unknown command '" + tc.want + "'; this server only serves chat.\n"
			if string(out) != want {
				t.Errorf("exec %q said %q, want %q", tc.cmd, out, want)
			}
			var ee *gossh.ExitError
			if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
				t.Errorf("exec %q ended with %v, want exit status 1", tc.cmd, err)
			}
		})
	}
	if got := srv.App.Hub().Online(); got != 0 {
		t.Errorf("Online() = %d, want 0", got)
	}
}

// TestWindowChangesLeakNothing: window changes nobody reads (before the
// shell, or after a refused login with a pty) hold no goroutine once
// their clients are gone. Not parallel: it counts the process's goroutines.
func TestWindowChangesLeakNothing(t *testing.T) {
	srv := apptest.Start(t, apptest.Config(t))
	settle := func() int {
		runtime.GC()
		return runtime.NumGoroutine()
	}
	// One client of each kind first, so that whatever the server starts
	// once (timers, pools) is in the baseline.
	client := func(name string, shell bool) {
		sc := apptest.DialSSH(t, srv.SSH, name, nil, nil)
		ch := openSession(t, sc)
		if !reply(t, ch, "pty-req", ptyPayload(80, 24)) {
			t.Fatal("pty refused")
		}
		if shell && !reply(t, ch, "shell", nil) {
			t.Fatal("shell refused")
		}
		for i := range 3 { // after a shell, these race with the refusal: they may find the channel closed
			if _, err := ch.SendRequest("window-change", false, windowPayload(100+i, 30)); err != nil && !shell {
				t.Fatalf("window change: %v", err)
			}
		}
		if shell {
			io.Copy(io.Discard, ch) // the refusal, up to the channel's end
		}
		sc.Close()
	}
	const bad = "no such name!" // refused at login
	client("warm", false)
	client(bad, true)
	apptest.Eventually(t, "the warm-up connections gone", func() bool { return srv.App.Hub().Online() == 0 })
	base := settle()

	const n = 100
	for i := range n {
		client("quiet", false)
		client(bad, i%2 == 0)
	}
	deadline := time.Now().Add(apptest.Wait)
	for {
		got := settle()
		if got <= base+10 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines %v after %d clients left, want about %d as before them; stacks:\n%.8000s",
				got, apptest.Wait, 2*n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWindowChangeBeforeShell: the UI starts at the size of the last
// window change sent before the shell, not at the pty request's.
func TestWindowChangeBeforeShell(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	sc := apptest.DialSSH(t, srv.SSH, "mike", nil, nil)
	ch := openSession(t, sc)
	if !reply(t, ch, "pty-req", ptyPayload(80, 24)) {
		t.Fatal("pty refused")
	}
	for _, h := range []int{20, 30} {
		if !reply(t, ch, "window-change", windowPayload(100, h)) {
			t.Fatal("window change refused")
		}
	}
	if !reply(t, ch, "shell", nil) {
		t.Fatal("shell refused")
	}
	out := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(b.String(), "message or /help") {
			n, err := ch.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		out <- b.String()
	}()
	select {
	case frame := <-out:
		// The input line is the last row: row 30 of 30.
		if !strings.Contains(frame, "\x1b[30;1H") || strings.Contains(frame, "\x1b[31;1H") {
			t.Errorf("the first frame does not end at row 30: %q", frame)
		}
	case <-time.After(apptest.Wait):
		t.Fatalf("no first frame after %v", apptest.Wait)
	}
}
