package tui

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"

	"chatserver/chat"
)

// benchUI is a session at w×h in a room with a few users and a screenful
// of history.
func benchUI(b *testing.B, w, h int) *ui {
	b.Helper()
	hub, _ := newHub(b)
	benchRoom(b, hub)
	u := newUI(b, hub, "alice", w, h)
	u.m.View()
	return u
}

// benchRoom fills the room chat of hub with a few users and a screenful
// of history.
func benchRoom(b *testing.B, hub *chat.Hub) {
	b.Helper()
	bob := login(b, hub, "bob", false)
	for i := range 5 {
		login(b, hub, fmt.Sprint("user", i), false)
	}
	for i := range 100 {
		bob.Input(b.Context(), fmt.Sprintf("history line %d, with a few more words to make it realistic", i))
	}
}

// benchMarkedUI is benchUI at 120x40 with what the second release shows:
// a long topic, an operator, a muted user, one away and an invite-only
// room (the engine stood in for by marked).
func benchMarkedUI(b *testing.B) *ui {
	b.Helper()
	hub, _ := newHub(b)
	e := newMarked(hub)
	benchRoom(b, hub)
	e.topics["chat"] = strings.Repeat("a topic long enough to be cut ", 10)
	e.marks["user0"] = chat.Member{Operator: true, Admin: true}
	e.marks["user1"] = chat.Member{Muted: true}
	e.marks["user2"] = chat.Member{Away: true, AwayReason: "lunch"}
	login(b, hub, "carol", false).Input(b.Context(), "/switch den")
	e.inviteOnly["den"] = true
	u := newMarkedUI(b, e, "alice", 120, 40)
	u.m.View()
	return u
}

// burst returns n chat events from bob in room chat.
func burst(n int) []*chat.Event {
	evs := make([]*chat.Event, n)
	now := time.Now()
	for i := range evs {
		evs[i] = &chat.Event{Kind: chat.KindChat, Room: chat.DefaultRoom, From: "bob",
			Text: fmt.Sprintf("message %d of the burst, long enough to look like chat", i), Time: now}
	}
	return evs
}

// BenchmarkViewIdle is View on a screen where nothing changed: what every
// Update that changes nothing visible (a tick, an unknown message) costs.
func BenchmarkViewIdle(b *testing.B) {
	u := benchUI(b, 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		u.m.View()
	}
}

// BenchmarkViewFrame is composing a new frame at 120x40 after a message
// arrived: the message window is re-picked and every row re-joined from
// the cached panes.
func BenchmarkViewFrame(b *testing.B) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			u := benchUI(b, size[0], size[1])
			b.ReportAllocs()
			for b.Loop() {
				u.m.msgs.dirty, u.m.frameDirty = true, true
				u.m.View()
			}
		})
	}
}

// BenchmarkViewFrameMarked is BenchmarkViewFrame at 120x40 with a topic
// row, marks in the users pane and an invite-only room: what they add to a
// frame (nothing but a row, when they did not change).
func BenchmarkViewFrameMarked(b *testing.B) {
	u := benchMarkedUI(b)
	b.ReportAllocs()
	for b.Loop() {
		u.m.msgs.dirty, u.m.frameDirty = true, true
		u.m.View()
	}
}

// BenchmarkViewFrameUncached is the frame with every pane redrawn, as
// after a resize: the worst case of View.
func BenchmarkViewFrameUncached(b *testing.B) {
	u := benchUI(b, 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		u.m.layout()
		u.m.frameDirty = true
		u.m.View()
	}
}

// BenchmarkRendererFrame is what Bubble Tea's renderer does with one of
// our frames at 120x40 (parse the styled string into a cell buffer): the
// part of a frame's cost the model does not control, and why the frame
// rate is capped.
func BenchmarkRendererFrame(b *testing.B) {
	u := benchUI(b, 120, 40)
	frame := u.m.View().Content
	buf := uv.NewScreenBuffer(120, 40)
	b.ReportAllocs()
	for b.Loop() {
		buf.Clear()
		uv.NewStyledString(frame).Draw(buf, buf.Bounds())
	}
}

// BenchmarkBurst is Update+View for a burst of 1000 messages delivered as
// one drain, as the outbox delivers them: see ns/msg.
func BenchmarkBurst(b *testing.B) {
	u := benchUI(b, 120, 40)
	evs := burst(1000)
	b.ReportAllocs()
	for b.Loop() {
		u.m.Update(eventsMsg{evs: evs})
		u.m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/msg")
}

// BenchmarkTrickle is Update+View for messages arriving one at a time, each
// its own drain and frame: the most a message can cost.
func BenchmarkTrickle(b *testing.B) {
	u := benchUI(b, 120, 40)
	evs := burst(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u.m.Update(eventsMsg{evs: evs[i%len(evs) : i%len(evs)+1]})
		u.m.View()
		i++
	}
}

// BenchmarkRoster is Update+View for a roster event (someone came, left,
// went away or was marked): the rooms, the users and the topic of the room
// are reloaded and the side panes redrawn if they changed.
func BenchmarkRoster(b *testing.B) {
	u := benchUI(b, 120, 40)
	ev := []*chat.Event{{Kind: chat.KindRoster}}
	b.ReportAllocs()
	for b.Loop() {
		u.m.Update(eventsMsg{evs: ev})
		u.m.View()
	}
}

// BenchmarkKeystroke is Update+View for one typed character.
func BenchmarkKeystroke(b *testing.B) {
	u := benchUI(b, 120, 40)
	k := tea.KeyPressMsg{Code: 'x', Text: "x"}
	bs := tea.KeyPressMsg{Code: tea.KeyBackspace}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			u.m.Update(k)
		} else {
			u.m.Update(bs)
		}
		u.m.View()
		i++
	}
}

// TestIdleMemory measures the heap an idle session's model holds at
// 80x24 (the engine's session and outbox included), and the heap and
// goroutine stacks of the same model running in a tea.Program with its
// renderer, as the SSH door runs it. It takes seconds, so it runs only
// when asked: TUI_MEMORY=1 go test -run IdleMemory -v ./tui/
func TestIdleMemory(t *testing.T) {
	if os.Getenv("TUI_MEMORY") == "" {
		t.Skip("set TUI_MEMORY=1 to measure the memory of idle sessions")
	}
	const n = 200
	hub, _ := newHub(t)
	bob := login(t, hub, "bob", false)
	for i := range 100 {
		bob.Input(t.Context(), fmt.Sprintf("history line %d, with a few more words to make it realistic", i))
	}

	models := make([]*Model, 0, n)
	before := heap()
	for i := range n {
		s := login(t, hub, fmt.Sprint("idle", i), true)
		m := New(Config{Ctx: t.Context(), Hub: hub, Session: s, Width: 80, Height: 24})
		evs, _, _ := s.Outbox().Drain(nil)
		m.Update(eventsMsg{evs: evs})
		m.View()
		models = append(models, m)
	}
	perModel := (heap() - before) / n
	runtime.KeepAlive(models)

	progs := make([]*tea.Program, 0, n)
	done := make(chan struct{}, n)
	before, g0 := heap(), runtime.NumGoroutine()
	stack0 := stackInuse()
	for i := range n {
		s := login(t, hub, fmt.Sprint("prog", i), true)
		m := New(Config{Ctx: t.Context(), Hub: hub, Session: s, Width: 80, Height: 24})
		inr, _ := io.Pipe()
		p := NewProgram(m, tea.WithContext(t.Context()), tea.WithInput(inr), tea.WithOutput(io.Discard),
			tea.WithWindowSize(80, 24), tea.WithoutSignalHandler(), tea.WithFPS(FPS),
			tea.WithEnvironment([]string{"TERM=xterm-256color"}))
		go func() {
			p.Run() //nolint:errcheck
			done <- struct{}{}
		}()
		progs = append(progs, p)
	}
	time.Sleep(500 * time.Millisecond) // first frames drawn
	perProg := (heap() - before) / n
	perStack := (stackInuse() - stack0) / n
	goroutines := (runtime.NumGoroutine() - g0) / n
	t.Logf("idle session at 80x24: model %d B heap; in a tea.Program %d B heap + %d B stacks (%d goroutines)",
		perModel, perProg, perStack, goroutines)
	for _, p := range progs {
		p.Kill()
	}
	for range progs {
		<-done
	}
}

func heap() int {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int(ms.HeapAlloc)
}

func stackInuse() int {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.StackInuse)
}
