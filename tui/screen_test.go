package tui

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/vt"

	"chatserver/chat"
)

// direct is a model drawing itself on a terminal emulator, as over SSH.
type direct struct {
	*ui
	hub *chat.Hub
	out *bytes.Buffer
	emu *vt.Emulator
}

func newDirect(t *testing.T, name string, w, h int) *direct {
	t.Helper()
	hub, _ := newHub(t)
	s := login(t, hub, name, true)
	out := &bytes.Buffer{}
	m := New(Config{Ctx: t.Context(), Hub: hub, Session: s, Width: w, Height: h, Output: out})
	d := &direct{ui: &ui{tb: t, m: m, sess: s}, hub: hub, out: out, emu: vt.NewEmulator(w, h)}
	m.Init() // draws the first frame
	d.pump()
	return d
}

// frame draws what is due (as the program would after its next Update),
// feeds the output to the emulator and returns the bytes written.
func (d *direct) frame() []byte {
	d.m.lastDraw = time.Time{} // the frame-rate cap is not under test here
	d.m.drawPending = false
	d.m.present()
	b := append([]byte(nil), d.out.Bytes()...)
	d.out.Reset()
	d.emu.Write(b)
	return b
}

func (d *direct) lines() []string { return strings.Split(d.emu.String(), "\n") }

func TestDirectDrawingShowsTheScreen(t *testing.T) {
	d := newDirect(t, "mike", 80, 24)
	first := d.frame()
	if !bytes.Contains(first, []byte(setModes)) {
		t.Fatalf("first frame does not enter the alternate screen: %q", first[:min(len(first), 40)])
	}
	if got := d.lines()[0]; !strings.HasPrefix(got, "Rooms") || !strings.Contains(got, "Users (1)") {
		t.Fatalf("top row = %q, want the rooms and users headers", got)
	}
	if got := d.lines()[23]; !strings.HasPrefix(got, "> ") {
		t.Fatalf("last row = %q, want the input line", got)
	}
}

func TestDirectDrawingSendsOnlyWhatChanged(t *testing.T) {
	d := newDirect(t, "mike", 120, 40)
	full := len(d.frame())
	if again := d.frame(); len(again) != 0 {
		t.Fatalf("an unchanged frame wrote %d bytes: %q", len(again), again)
	}
	d.typ("h")
	typed := d.frame()
	if len(typed) == 0 || len(typed) > full/10 {
		t.Fatalf("typing one key wrote %d bytes (full frame %d), want a small update", len(typed), full)
	}
	if got := d.lines()[39]; !strings.HasPrefix(got, "> h") {
		t.Fatalf("input row = %q after typing h", got)
	}
	d.key(tea.KeyPressMsg{Code: tea.KeyBackspace})
	d.frame()
	d.say("hello there")
	d.frame()
	if !strings.Contains(d.emu.String(), "mike: hello there") {
		t.Fatalf("own message not on screen:\n%s", d.emu.String())
	}
}

func TestDirectDrawingLeavesTheFarewellOnScreen(t *testing.T) {
	d := newDirect(t, "mike", 80, 24)
	d.frame()
	d.say("/leave")
	out := d.out.String()
	if !strings.Contains(out, resetModes) {
		t.Fatalf("closing did not restore the terminal: %q", out)
	}
	if !strings.HasSuffix(out, "<system> Leaving chat room.\r\n") {
		t.Fatalf("closing wrote %q, want the leave line last, on the normal screen", out)
	}
}

// TestDirectDrawingFarewellDrainedBeforeTheClose: the line that ends a
// session (a /gban's, a shutdown's) may be drained before the outbox is
// closed, when the engine pushes it and closes the outbox a moment later:
// it is still left on the normal screen once the UI closes.
func TestDirectDrawingFarewellDrainedBeforeTheClose(t *testing.T) {
	d := newDirect(t, "mike", 80, 24)
	d.frame()
	d.sess.Notify(chat.TextServerBanned)
	d.pump()
	d.frame()
	d.sess.Close()
	d.pump()
	if out, want := d.out.String(), "<system> "+chat.TextServerBanned+"\r\n"; !strings.HasSuffix(out, want) {
		t.Fatalf("closing wrote %q, want %q last, on the normal screen", out, want)
	}
}

func TestDirectDrawingResizeRedrawsAll(t *testing.T) {
	d := newDirect(t, "mike", 80, 24)
	d.frame()
	d.resize(50, 20)
	d.emu.Resize(50, 20)
	out := d.frame()
	if !bytes.Contains(out, []byte(clearAll)) {
		t.Fatalf("resize did not clear the screen")
	}
	for i, l := range d.lines() {
		if w := len([]rune(strings.TrimRight(l, " "))); w > 50 {
			t.Fatalf("row %d is %d wide after resize to 50: %q", i, w, l)
		}
	}
	if strings.Contains(d.emu.String(), "Rooms") {
		t.Fatalf("side panes still shown at 50 columns:\n%s", d.emu.String())
	}
}

// TestDirectDrawingRosterChurn: someone logging in and out again between
// two frames leaves the users pane as it was, and it is not rewritten
// (helperbot's join and leave lines are); the users pane shows a newcomer
// once the roster frame is due.
func TestDirectDrawingRosterChurn(t *testing.T) {
	d := newDirect(t, "mike", 80, 24)
	d.frame()
	bob := login(t, d.hub, "bob", false)
	bob.Close()
	d.pump()
	out := string(d.frame())
	if !strings.Contains(out, "bob has left") || strings.Contains(out, "Users (") || strings.Contains(out, "bob\x1b") {
		t.Fatalf("a login and logout between frames wrote %q, want the two lines and no users pane", out)
	}
	login(t, d.hub, "carol", false)
	d.pump()
	d.frame()
	if got := d.lines()[0]; !strings.Contains(got, "Users (2)") {
		t.Fatalf("top row = %q after carol logged in, want Users (2)", got)
	}
}

// TestDirectDrawingPadsWithErase: a short line drawn where a long one was
// leaves nothing of it on screen, and the blank after a short line costs
// an erase, not a row of spaces.
func TestDirectDrawingPadsWithErase(t *testing.T) {
	d := newDirect(t, "mike", 120, 40)
	d.frame()
	d.say("a long line, long enough to reach far into the pane: " + strings.Repeat("word ", 10))
	d.frame()
	for i := range 40 { // scroll the long line off, short lines in its rows
		d.say("s" + strconv.Itoa(i))
		d.frame()
	}
	if strings.Contains(d.emu.String(), "word") || strings.Contains(d.emu.String(), "long") {
		t.Fatalf("a longer line's end stayed on screen:\n%s", d.emu.String())
	}
	d.say("ok")
	if out := d.frame(); strings.Contains(string(out), strings.Repeat(" ", 20)) {
		t.Errorf("a frame of short lines pads with spaces: %d bytes: %q", len(out), out)
	}
}

// TestDirectDrawingIncrementalIsWhole: a screen built up frame by frame,
// each frame writing only what changed, shows exactly what a whole redraw
// of the same state shows: for wide characters, emoji, wrapped lines and
// the blank ends of rows, with and without the side panes.
func TestDirectDrawingIncrementalIsWhole(t *testing.T) {
	lines := []string{
		"short", "日本語のメッセージです", "emoji 👍🏽 and flags 🇫🇷 too",
		"a long line that wraps, " + strings.Repeat("wrapping words ", 8), "x", "",
	}
	for _, w := range []int{120, 61, 50} {
		d := newDirect(t, "mike", w, 20)
		bob := login(t, d.hub, "bob", false)
		d.pump()
		d.frame()
		for i := range 40 {
			if l := lines[i%len(lines)]; l != "" {
				bob.Input(t.Context(), l)
			} else {
				d.say("own " + strconv.Itoa(i))
			}
			d.pump()
			d.frame()
		}
		built := d.emu.String()
		d.m.scr.clear()
		d.m.frameDirty = true
		whole := vt.NewEmulator(w, 20)
		whole.Write(d.frame())
		if got := whole.String(); got != built {
			t.Errorf("at %d columns the screen built frame by frame differs from a whole redraw:\n%s\n---\n%s", w, built, got)
		}
	}
}
