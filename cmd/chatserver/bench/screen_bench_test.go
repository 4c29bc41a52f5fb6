package bench

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"chatserver/app/apptest"
)

// recordUI records what a real server's SSH UI sends a 120x40 pty while
// two telnet users say lines, one at a time, each waited for on the
// screen: the output a chatserver bench --door ssh client reads, one
// screen update per read. It returns the reads in order.
func recordUI(b *testing.B, lines int) [][]byte {
	b.Helper()
	const w, h = 120, 40
	cfg := apptest.Config(b)
	cfg.FloodRate = 0
	srv := apptest.Start(b, cfg)
	sc := apptest.DialSSH(b, srv.SSH, "viewer", nil, nil)
	sess, err := sc.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	chunks := make(chan []byte, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := out.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var frames [][]byte
	scr := newScreen(w, h)
	// until reads frames until the screen shows what found looks for.
	until := func(what string, found func() bool) {
		deadline := time.After(apptest.Wait)
		for !found() {
			select {
			case c, ok := <-chunks:
				if !ok {
					b.Fatalf("waiting for %s: session ended", what)
				}
				frames = append(frames, c)
				scr.Write(c)
			case <-deadline:
				b.Fatalf("waiting for %s: not on the screen after %v", what, apptest.Wait)
			}
		}
	}
	mark := newStatusMark("viewer", "chat")
	until("the status bar", func() bool {
		for y := range h {
			if mark.in(scr.row(y)) {
				return true
			}
		}
		return false
	})
	scr.scanDirty(func([]byte) {})
	users := []*apptest.Client{apptest.Login(b, srv.Telnet, "anna"), apptest.Login(b, srv.Telnet, "bob")}
	words := strings.Fields("a line of chat as the bench sends it with its id and some words to fill it up")
	for i := range lines {
		sender := i % len(users)
		nanos := time.Now().UnixNano()
		text := string(appendID(nil, sender, i, nanos)) + " " + strings.Join(words[:3+i%(len(words)-3)], " ")
		users[sender].Send(text)
		seen := false
		until(fmt.Sprintf("line %d", i), func() bool {
			scr.scanDirty(func(row []byte) {
				findIDs(row, func(s, seq int, n int64) { seen = seen || (s == sender && seq == i && n == nanos) })
			})
			return seen
		})
	}
	sc.Close()
	return frames
}

// BenchmarkScreenUpdate is the CPU cost of one screen update of the SSH UI
// in the bench client: the recorded reads of a real 120x40 session fed to
// the bench's own emulator (screen) and to x/vt, each followed by the
// search for ids in the rows that changed, as readScreen does. A fresh
// emulator starts each pass over the recording.
func BenchmarkScreenUpdate(b *testing.B) {
	frames := recordUI(b, 300)
	var size int
	for _, f := range frames {
		size += len(f)
	}
	b.Logf("%d reads, %d bytes, %.0f bytes a read", len(frames), size, float64(size)/float64(len(frames)))
	ids := 0
	count := func(int, int, int64) { ids++ }
	b.Run("own", func(b *testing.B) {
		var s *screen
		i := 0
		for b.Loop() {
			if i%len(frames) == 0 {
				s = newScreen(120, 40)
			}
			s.Write(frames[i%len(frames)])
			s.scanDirty(func(row []byte) { findIDs(row, count) })
			i++
		}
	})
	b.Run("xvt-write-only", func(b *testing.B) { // x/vt's floor: no search at all
		var e *vt.Emulator
		i := 0
		for b.Loop() {
			if i%len(frames) == 0 {
				if e != nil {
					e.Close()
				}
				e = vt.NewEmulator(120, 40)
				go io.Copy(io.Discard, e)
			}
			e.Write(frames[i%len(frames)])
			i++
		}
	})
	b.Run("xvt", func(b *testing.B) {
		var e *vt.Emulator
		row := make([]byte, 120)
		i := 0
		for b.Loop() {
			if i%len(frames) == 0 {
				if e != nil {
					e.Close()
				}
				e = vt.NewEmulator(120, 40)
				go io.Copy(io.Discard, e) // answers to the UI's queries
			}
			e.Write(frames[i%len(frames)])
			touched := e.Touched()
			for y, line := range touched {
				if line == nil {
					continue
				}
				touched[y] = nil
				for x := range row {
					row[x] = '?'
					if c := e.CellAt(x, y); c != nil && len(c.Content) == 1 {
						row[x] = c.Content[0]
					} else if c != nil && c.Content == "" {
						row[x] = ' '
					}
				}
				findIDs(row, count)
			}
			i++
		}
	})
}
