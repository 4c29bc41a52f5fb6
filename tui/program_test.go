package tui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"

	"chatserver/chat"
	"chatserver/tui/keyin"
)

// term runs a model in a real tea.Program whose output goes through an
// io.Pipe into a terminal emulator, and whose input is what the emulator
// sends: what a user's terminal would show and type.
type term struct {
	t    *testing.T
	mu   sync.Mutex // guards emu, which is not safe for concurrent use
	emu  *vt.Emulator
	prog *tea.Program
	done chan error
}

// locked runs f with the emulator locked.
func (tm *term) locked(f func(e *vt.Emulator)) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	f(tm.emu)
}

func (tm *term) screen() (s string) {
	tm.locked(func(e *vt.Emulator) { s = e.String() })
	return s
}

func (tm *term) typ(text string) {
	tm.locked(func(e *vt.Emulator) {
		e.SendText(text)
		e.SendKey(uv.KeyPressEvent{Code: uv.KeyEnter})
	})
}

func (tm *term) resize(w, h int) {
	tm.locked(func(e *vt.Emulator) { e.Resize(w, h) })
	tm.prog.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

func runTerm(t *testing.T, m *Model, w, h int) *term {
	t.Helper()
	emu := vt.NewEmulator(w, h)
	tm := &term{t: t, emu: emu, done: make(chan error, 1)}

	// Output: program → pipe → emulator, with a pty's newline mapping.
	outR, outW := io.Pipe()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		onlcr(writerFunc(func(b []byte) (n int, err error) {
			tm.locked(func(e *vt.Emulator) { n, err = e.Write(b) })
			return n, err
		}), outR)
	}()

	// Input: what the emulator sends (keys, answers to queries) → pipe →
	// program. The emulator's Read races with its Close, so the forwarder
	// is stopped by a last byte after stop is set, and the emulator is
	// never closed.
	inR, inW := io.Pipe()
	var stop atomic.Bool
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		buf := make([]byte, 4096)
		for {
			n, err := emu.Read(buf)
			if err != nil || stop.Load() {
				return
			}
			inW.Write(buf[:n]) //nolint:errcheck // fails once the program is gone; keep draining
		}
	}()

	p := NewProgram(m,
		tea.WithContext(t.Context()),
		tea.WithInput(nil), // keys are decoded by keyin, as the SSH door does
		tea.WithOutput(outW),
		tea.WithWindowSize(w, h),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}),
		tea.WithColorProfile(colorprofile.ANSI256),
		tea.WithoutSignalHandler(),
		tea.WithFPS(FPS),
	)
	tm.prog = p
	keysRead := make(chan struct{})
	go func() {
		defer close(keysRead)
		keys := keyin.New(p.Send)
		defer keys.Close()
		buf := make([]byte, 4096)
		for {
			n, err := inR.Read(buf)
			keys.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	go func() {
		_, err := p.Run()
		tm.done <- err
	}()
	t.Cleanup(func() {
		p.Kill()
		err := <-tm.done
		tm.done <- err
		outW.Close()
		<-copied
		inR.Close()
		<-keysRead
		stop.Store(true)
		tm.locked(func(e *vt.Emulator) { e.SendText(" ") })
		<-forwarded
	})
	return tm
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// onlcr copies r to w turning "\n" into "\r\n", as a pty does (and as
// wish's emulated pty does): without a tty for input, the renderer relies
// on it.
func onlcr(w io.Writer, r io.Reader) {
	buf := make([]byte, 32<<10)
	var out []byte
	for {
		n, err := r.Read(buf)
		out = out[:0]
		for _, c := range buf[:n] {
			if c == '\n' {
				out = append(out, '\r')
			}
			out = append(out, c)
		}
		if _, werr := w.Write(out); werr != nil || err != nil {
			return
		}
	}
}

// waitScreen waits until the screen shows every one of want.
func (tm *term) waitScreen(want ...string) string {
	tm.t.Helper()
	return tm.waitFor(func(scr string) string {
		for _, w := range want {
			if !strings.Contains(scr, w) {
				return "lacks " + w
			}
		}
		return ""
	})
}

// waitGone waits until the screen shows none of unwanted.
func (tm *term) waitGone(unwanted ...string) string {
	tm.t.Helper()
	return tm.waitFor(func(scr string) string {
		for _, w := range unwanted {
			if strings.Contains(scr, w) {
				return "still shows " + w
			}
		}
		return ""
	})
}

// waitFor polls the screen until check finds nothing wrong with it.
func (tm *term) waitFor(check func(screen string) (wrong string)) string {
	tm.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		scr := tm.screen()
		wrong := check(scr)
		if wrong == "" {
			return scr
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen %s after %v:\n%s", wrong, waitFor, scr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProgramOnTerminal(t *testing.T) {
	h, _ := newHub(t)
	bob := login(t, h, "bob", false)
	alice := login(t, h, "alice", true)
	m := New(Config{Ctx: t.Context(), Hub: h, Session: alice, Width: 80, Height: 24, FloodBurst: 20, FloodRate: 5})
	tm := runTerm(t, m, 80, 24)

	tm.waitScreen("Rooms", "▸ chat", "Users (2)", "alice*", "Logging in as alice", "#chat │ 2 here")
	tm.locked(func(e *vt.Emulator) {
		if !e.IsAltScreen() {
			t.Error("the UI is not on the alternate screen")
		}
	})

	bob.Input(t.Context(), "hello from bob")
	tm.waitScreen("bob: hello from bob")

	tm.typ("hi bob")
	tm.waitScreen("alice: hi bob")
	evs, _, _ := bob.Outbox().Drain(nil)
	if got := string(evs[len(evs)-1].Line()); got != "<alice> hi bob\n" {
		t.Errorf("bob got %q, want the line protocol's <alice> hi bob", got)
	}

	tm.typ("/switch den")
	scr := tm.waitScreen("▸ den", "@alice*", "Switched to room 'den'", "#den │ 1 here")
	if strings.Contains(scr, "hello from bob") {
		t.Errorf("the old room's messages stayed after /switch:\n%s", scr)
	}

	tm.resize(50, 20)
	tm.waitGone("Rooms", "Users")
	tm.waitScreen("Switched to room 'den'", "> message")

	tm.resize(200, 60)
	scr = tm.waitScreen("Rooms", "Users (1)", "Switched to room 'den'", "^C quit")
	if lines := strings.Split(scr, "\n"); len(lines) != 60 || !strings.HasPrefix(lines[58], " alice │ #den") {
		t.Errorf("at 200x60 the status bar is not on line 59:\n%s", scr)
	}

	tm.typ("/leave")
	select {
	case err := <-tm.done:
		tm.done <- err
		if err != nil {
			t.Errorf("program ended with %v", err)
		}
	case <-time.After(waitFor):
		t.Fatal("the program did not end after /leave")
	}
}

// TestProgramConcurrentSenders: three users talking at once, each push
// waking the program from its own goroutine, and the screen ends up with
// everything: the last line sent after them shows, the users pane counts
// all four.
func TestProgramConcurrentSenders(t *testing.T) {
	h, _ := newHub(t)
	alice := login(t, h, "alice", true)
	m := New(Config{Ctx: t.Context(), Hub: h, Session: alice, Width: 80, Height: 24})
	tm := runTerm(t, m, 80, 24)
	tm.waitScreen("Users (1)")
	var wg sync.WaitGroup
	var last *chat.Session
	for _, name := range []string{"bob", "carol", "dave"} {
		s := login(t, h, name, false)
		last = s
		wg.Go(func() {
			for j := range 200 {
				s.Input(t.Context(), fmt.Sprintf("%s-%03d", name, j))
			}
		})
	}
	wg.Wait()
	last.Input(t.Context(), "all done")
	tm.waitScreen("dave: all done", "Users (4)")
}
