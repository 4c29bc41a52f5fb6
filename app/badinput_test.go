package app_test

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatserver/app/apptest"
	"chatserver/chat/chattest"
	"chatserver/chat/store"
)

// These tests send what PROTOCOL.md's Input section calls bad input, each
// on its own, and check what every user sees, then that the server still
// serves everyone.

const lineTooFast = "<system> You're sending too fast, slow down."

// trio is a server with alice (who sends the bad input) and bob and carol,
// all in chat.
type trio struct {
	srv               *apptest.Server
	alice, bob, carol *apptest.Client
}

func newTrio(t *testing.T, srv *apptest.Server) *trio {
	t.Helper()
	r := &trio{srv: srv, bob: apptest.Login(t, srv.Telnet, "bob")}
	r.carol = apptest.Login(t, srv.Telnet, "carol")
	r.bob.Expect(joinLine("carol"))
	r.alice = apptest.Login(t, srv.Telnet, "alice")
	r.bob.Expect(joinLine("alice"))
	r.carol.Expect(joinLine("alice"))
	return r
}

// stillFine checks that the server still serves everyone: bob and carol
// chat, alice hears them, nobody gets anything else.
func (r *trio) stillFine() {
	r.bob.Send("still there?")
	r.carol.Expect("<bob> still there?")
	r.alice.Expect("<bob> still there?")
	r.carol.Send("yes")
	r.bob.Expect("<carol> yes")
	r.alice.Expect("<carol> yes")
	allQuiet(r.alice, r.bob, r.carol)
}

func TestSplitLine(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice := apptest.Dial(t, srv.Telnet)
	alice.Welcome()
	alice.SendChunks([]byte("alice\r\n"), 1)
	alice.Expect("<system> Logging in as alice", joinLine("alice"))
	bob.Expect(joinLine("alice"))

	tests := []struct {
		name, in string
		size     int
		want     []string // bob's lines
	}{
		{"one byte a write", "split over many writes\r\n", 1, []string{"<alice> split over many writes"}},
		{"odd chunks", "a longer line, cut in uneven pieces by the network\r\n", 7, []string{"<alice> a longer line, cut in uneven pieces by the network"}},
		{"CR and LF apart", "first\r\nsecond\r\n", 6, []string{"<alice> first", "<alice> second"}},
		{"a character cut in two", "10 €, 20 ü\r\n", 1, []string{"<alice> 10 €, 20 ü"}},
		{"an IAC sequence cut in three", "a\xff\xfb\x01b\r\n", 1, []string{"<alice> ab"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob := alice.For(t), bob.For(t)
			alice.SendChunks([]byte(tc.in), tc.size)
			alice.Quiet()
			bob.Expect(tc.want...)
			bob.Quiet()
		})
	}
	// A command cut in pieces is one command.
	alice.SendChunks([]byte("/ro"), 3)
	alice.SendChunks([]byte("om\r"), 3)
	alice.SendChunks([]byte("\n"), 1)
	alice.Expect(roomLine("chat"))
	allQuiet(alice, bob)
}

func TestPipelinedLines(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	bob, carol := oneAway(t, srv, "bob", "carol", "p1")

	// Logging in and a walk through two rooms, in one write: handled in
	// order, each line seen by the room alice was in at the time.
	alice := apptest.Dial(t, srv.Telnet)
	alice.SendRaw([]byte("alice\r\nfirst\r\n/switch p1\r\nin p1\r\n/switch chat\r\nback\r\n/room\r\n"))
	alice.Welcome()
	alice.Expect("<system> Logging in as alice", joinLine("alice"),
		switchedLine("p1"), joinLine("alice"),
		switchedLine("chat"), joinLine("alice"),
		roomLine("chat"))
	bob.Expect(joinLine("alice"), "<alice> first", leaveLine("alice"), joinLine("alice"), "<alice> back")
	carol.Expect(joinLine("alice"), "<alice> in p1", leaveLine("alice"))
	allQuiet(alice, bob, carol)

	// Many messages in one write arrive, all of them, in order.
	var b strings.Builder
	var want []string
	for i := range 300 {
		fmt.Fprintf(&b, "pipelined %d\r\n", i)
		want = append(want, "<alice> pipelined "+strconv.Itoa(i))
	}
	alice.SendRaw([]byte(b.String()))
	alice.Quiet()
	bob.Expect(want...)
	allQuiet(alice, bob, carol)
}

func TestLineEnds(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)
	ends := []struct{ name, end string }{
		{"CRLF", "\r\n"},
		{"LF", "\n"},
		{"bare CR", "\r"},
		{"CR NUL", "\r\x00"},
	}
	for i, e := range ends {
		t.Run(e.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			alice.SendRaw([]byte("ends with " + e.name + e.end))
			alice.SendRaw([]byte("/room" + e.end))
			alice.Expect(roomLine("chat"))
			bob.Expect("<alice> ends with " + e.name)
			carol.Expect("<alice> ends with " + e.name)
			allQuiet(alice, bob, carol)

			// Logging in with that line end.
			name := "ends" + strconv.Itoa(i)
			c := apptest.Dial(t, srv.Telnet)
			c.Welcome()
			c.SendRaw([]byte(name + e.end))
			c.Expect("<system> Logging in as "+name, joinLine(name))
			for _, o := range []*apptest.Client{alice, bob, carol} {
				o.Expect(joinLine(name))
			}
			c.Conn.Close()
			for _, o := range []*apptest.Client{alice, bob, carol} {
				o.Expect(leaveLine(name))
			}
		})
	}
	// All of them in one write: four lines, no more (an empty line would
	// be ignored, but "\r\n" read as two ends would also count twice
	// against flood control).
	r.alice.SendRaw([]byte("a\r\nb\nc\rd\r\x00"))
	r.alice.Quiet()
	r.bob.Expect("<alice> a", "<alice> b", "<alice> c", "<alice> d")
	r.carol.Expect("<alice> a", "<alice> b", "<alice> c", "<alice> d")
	r.stillFine()
}

func TestTelnetNegotiation(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)

	// What telnet clients send on connect, before and inside a name.
	c := apptest.Dial(t, srv.Telnet)
	c.SendRaw([]byte("\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x18\xff\xfa\x18\x00xterm-256color\xff\xf0"))
	c.Welcome() // and no negotiation from the server: the first bytes are the welcome
	c.SendRaw([]byte("da\xff\xfb\x01v\xff\xfd\x03e\r\n"))
	c.Expect("<system> Logging in as dave", joinLine("dave"))
	r.bob.Expect(joinLine("dave"))
	r.carol.Expect(joinLine("dave"))
	r.alice.Expect(joinLine("dave"))
	// IAC IAC is a literal 0xff, invalid UTF-8: no letter.
	c2 := apptest.Dial(t, srv.Telnet)
	c2.Welcome()
	c2.SendRaw([]byte("x\xff\xffy\r\n"))
	c2.Expect("<system> Usernames may only use letters, digits, '-', '_' and '.'.")
	allQuiet(r.alice, r.bob, r.carol, c)
	c.Send("/leave")
	c.ExpectClosed("<system> Leaving chat room.")
	for _, o := range []*apptest.Client{r.alice, r.bob, r.carol} {
		o.Expect(leaveLine("dave"))
	}

	tests := []struct {
		name, in string
		toAlice  []string
		toBob    []string
		toCarol  []string
	}{
		{"option negotiation in a message", "hi \xff\xfb\x01\xff\xfe\x03there\r\n", nil, []string{"<alice> hi there"}, []string{"<alice> hi there"}},
		{"window size sub-negotiation", "a\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0b\r\n", nil, []string{"<alice> ab"}, []string{"<alice> ab"}},
		{"line end inside a sub-negotiation", "c\xff\xfa\x18\r\n\xff\xf0d\r\n", nil, []string{"<alice> cd"}, []string{"<alice> cd"}},
		{"IAC IAC in a message", "a\xff\xffb\r\n", nil, []string{"<alice> a\uFFFDb"}, []string{"<alice> a\uFFFDb"}},
		{"IAC IAC in a whisper", "/w bob x\xff\xffy\r\n", nil, []string{"<helperbot> alice whispered to you: x\uFFFDy"}, nil},
		{"IAC IAC in a room", "/switch r\xff\xffoom\r\n", []string{lineBadRoom}, nil, nil},
		{"IAC NOP in a command word", "/ro\xff\xf1om\r\n", []string{roomLine("chat")}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			alice.SendRaw([]byte(tc.in))
			alice.Expect(tc.toAlice...)
			alice.Quiet()
			bob.Expect(tc.toBob...)
			carol.Expect(tc.toCarol...)
			allQuiet(bob, carol)
		})
	}
	// Negotiation in a room name is removed.
	r.alice.SendRaw([]byte("/switch lo\xff\xfb\x01bby\r\n"))
	r.alice.Expect(switchedLine("lobby"), joinLine("alice"))
	r.bob.Expect(leaveLine("alice"))
	r.carol.Expect(leaveLine("alice"))
	r.bob.Send("still talking")
	r.carol.Expect("<bob> still talking")
	allQuiet(r.alice, r.bob, r.carol)
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)
	tests := []struct {
		name, in, want string
	}{
		{"latin-1", "caf\xe9 cr\xe8me", "<alice> caf\uFFFD cr\uFFFDme"},
		{"overlong slash", "a\xc0\xafb", "<alice> a\uFFFD\uFFFDb"},
		{"surrogate half", "x\xed\xa0\x80y", "<alice> x\uFFFD\uFFFD\uFFFDy"},
		{"truncated at the end", "euro \xe2\x82", "<alice> euro \uFFFD\uFFFD"},
		{"lone continuation bytes", "\x80\x81 ok", "<alice> \uFFFD\uFFFD ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			alice.SendRaw([]byte(tc.in + "\r\n"))
			alice.Quiet()
			bob.Expect(tc.want)
			carol.Expect(tc.want)
			allQuiet(bob, carol)
		})
	}
	r.alice.SendRaw([]byte("/switch caf\xe9\r\n"))
	r.alice.Expect(lineBadRoom)
	c := apptest.Dial(t, srv.Telnet)
	c.Welcome()
	c.SendRaw([]byte("J\xfcrgen\r\n"))
	c.Expect("<system> Usernames may only use letters, digits, '-', '_' and '.'.")
	c.Send("Jürgen")
	c.Expect("<system> Logging in as Jürgen", joinLine("Jürgen"))
	for _, o := range []*apptest.Client{r.alice, r.bob, r.carol} {
		o.Expect(joinLine("Jürgen"))
	}
	r.stillFine()
}

func TestLongLine(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)
	zwsp := "\u200B"  // 3 bytes, removed by the sanitiser
	nop := "\xff\xf1" // IAC NOP, 2 bytes, removed by the telnet layer
	tests := []struct {
		name, in  string
		delivered bool // bob and carol get "<alice> hi", else alice is told once
	}{
		{"9 000 characters", strings.Repeat("a", 9000), false},
		{"a whisper over 8 KiB", "/w bob " + strings.Repeat("a", 9000), false},
		{"a command over 8 KiB is not run", "/switch " + strings.Repeat("r", 9000), false},
		{"8 192 bytes, the text short", "hi" + strings.Repeat(zwsp, 2730), true},
		{"8 193 bytes, the text short", "hi" + strings.Repeat(zwsp, 2730) + "!", false},
		{"8 192 bytes with IAC sequences", "hi" + strings.Repeat(nop, 4095), true},
		{"8 194 bytes with IAC sequences", "hi" + strings.Repeat(nop, 4096), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			alice.SendRaw([]byte(tc.in + "\r\n"))
			if tc.delivered {
				bob.Expect("<alice> hi")
				carol.Expect("<alice> hi")
			} else {
				alice.Expect(lineTooLong)
			}
			alice.Send("/room")
			alice.Expect(roomLine("chat"))
			allQuiet(alice, bob, carol)
		})
	}
	r.stillFine()
}

func TestLongLineBeforeLogin(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)
	const nameTooLong = "<system> Username must be less than 20 characters."
	for _, n := range []int{9000, 2 << 20} {
		c := apptest.Dial(t, srv.Telnet)
		c.Welcome()
		c.SendChunks([]byte(strings.Repeat("n", n)), 64<<10)
		c.Expect(nameTooLong) // once, as soon as it is over the cap
		c.SendRaw([]byte("\r\n"))
		name := "n" + strconv.Itoa(n)
		c.Send(name)
		c.Expect("<system> Logging in as "+name, joinLine(name))
		for _, o := range []*apptest.Client{r.alice, r.bob, r.carol} {
			o.Expect(joinLine(name))
		}
	}
	r.stillFine()
}

// A 2 MiB line without a newline is answered once, costs the server no
// memory of its size, and the connection is usable after the newline.
// Not parallel: it counts the process's allocations.
func TestHugeLine(t *testing.T) {
	srv := startNoFlood(t)
	r := newTrio(t, srv)
	huge := []byte(strings.Repeat("x", 2<<20))
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	r.alice.SendChunks(huge, 64<<10)
	r.alice.Expect(lineTooLong)
	r.alice.SendRaw([]byte("\r\n"))
	r.alice.Quiet()
	runtime.ReadMemStats(&ms1)
	grew := ms1.TotalAlloc - ms0.TotalAlloc
	t.Logf("the process allocated %d KiB while a 2 MiB line went by", grew>>10)
	if grew > 1<<20 {
		t.Errorf("the process allocated %d KiB while a 2 MiB line went by", grew>>10)
	}
	allQuiet(r.bob, r.carol)
	r.alice.Send("after the huge line")
	r.bob.Expect("<alice> after the huge line")
	r.carol.Expect("<alice> after the huge line")
	r.stillFine()
}

func TestEscapesAndInvisibles(t *testing.T) {
	t.Parallel()
	srv := startNoFlood(t)
	r := newTrio(t, srv)

	// In names: removed before anything is checked or shown.
	names := []struct{ name, in, shown string }{
		{"colour", "\x1b[31mmallory\x1b[0m", "mallory"},
		{"title", "\x1b]0;pwned\x07trudy", "trudy"},
		{"bidi override", "eve\u202E", "eve"},
		{"zero-width space", "z\u200Bed", "zed"},
		{"soft hyphen and BOM", "\uFEFFpeg\u00ADgy", "peggy"},
	}
	for _, tc := range names {
		t.Run("name "+tc.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			c := apptest.Dial(t, srv.Telnet)
			c.Welcome()
			c.SendRaw([]byte(tc.in + "\r\n"))
			c.Expect("<system> Logging in as "+tc.shown, joinLine(tc.shown))
			for _, o := range []*apptest.Client{alice, bob, carol} {
				o.Expect(joinLine(tc.shown))
			}
			// The invisible variant of a name is that name.
			dup := apptest.Dial(t, srv.Telnet)
			dup.Welcome()
			dup.Send(tc.shown)
			dup.Expect("<system> That username is already taken, please try another one.")
			c.Conn.Close()
			for _, o := range []*apptest.Client{alice, bob, carol} {
				o.Expect(leaveLine(tc.shown))
			}
		})
	}

	// In messages: others see the text without them.
	msgs := []struct{ name, in, want string }{
		{"CSI colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"clear screen and home", "\x1b[2J\x1b[Hclean", "clean"},
		{"OSC title", "\x1b]0;pwned\x07hi", "hi"},
		{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x1b\\copy", "copy"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"DCS", "\x1bPq#0;2;0;0;0#0~~\x1b\\sixel", "sixel"},
		{"8-bit CSI", "\u009b2Jeight", "eight"},
		{"bell and backspace", "\x07abc\b\b\bxyz", "abcxyz"},
		{"bidi override", "abc\u202Edef", "abcdef"},
		{"bidi isolates", "\u2066x\u2069y", "xy"},
		{"zero-width", "a\u200Bb\u200Cc\u2060d\uFEFFe", "abcde"},
		{"ZWJ kept for emoji", "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧"},
	}
	for _, tc := range msgs {
		t.Run("message "+tc.name, func(t *testing.T) {
			alice, bob, carol := r.alice.For(t), r.bob.For(t), r.carol.For(t)
			alice.Send(tc.in)
			alice.Quiet()
			bob.Expect("<alice> " + tc.want)
			carol.Expect("<alice> " + tc.want)
			allQuiet(bob, carol)
		})
	}
	// A message of nothing but escapes is no message.
	r.alice.Send("\x1b[31m\x1b[0m\u200B\u202E")
	allQuiet(r.alice, r.bob, r.carol)

	// In whispers, and in the name whispered to.
	r.alice.Send("/w b\u200Bob \x1b]0;x\x07sec\u200Bret\u202E")
	r.alice.Quiet()
	r.bob.Expect("<helperbot> alice whispered to you: secret")
	allQuiet(r.bob, r.carol)

	// In rooms.
	r.alice.Send("/switch \x1b[1mlo\u200Bbby\u202E")
	r.alice.Expect(switchedLine("lobby"), joinLine("alice"))
	r.bob.Expect(leaveLine("alice"))
	r.carol.Expect(leaveLine("alice"))
	r.bob.Send("/switch LOB\u00ADBY")
	r.bob.Expect(switchedLine("lobby"), joinLine("bob"))
	r.alice.Expect(joinLine("bob"))
	r.carol.Expect(leaveLine("bob"))
	r.bob.Send("/rooms")
	r.bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. lobby")
	allQuiet(r.alice, r.bob, r.carol)
}

// A pasted paragraph passes: 20 lines at once, the login line included,
// without a notice.
func TestFloodBurstPasses(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config(t))
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice := apptest.Dial(t, srv.Telnet)
	var b strings.Builder
	var want []string
	b.WriteString("alice\r\n")
	for i := range 19 {
		fmt.Fprintf(&b, "pasted line %d\r\n", i)
		want = append(want, "<alice> pasted line "+strconv.Itoa(i))
	}
	alice.SendRaw([]byte(b.String()))
	bob.Expect(joinLine("alice"))
	bob.Expect(want...)
	// bob's whisper reaches alice after her 20 lines were handled: a notice
	// for any of them would come first.
	bob.Send("/w alice done")
	alice.Welcome()
	alice.Expect("<system> Logging in as alice", joinLine("alice"), "<helperbot> bob whispered to you: done")
	bob.Quiet()
}

// A flood of 10 000 lines: the sender is told to slow down at most once a
// second, the room gets no more than the burst and the refill, and the
// connection stays.
func TestFlood(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	r := newTrio(t, srv)
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "flood %d\r\n", i)
	}
	start := time.Now()
	r.alice.SendRaw([]byte(b.String()))
	got := r.alice.SyncFlooded("alice") // all 10 000 lines were handled before
	elapsed := time.Since(start)
	for _, l := range got {
		if l != lineTooFast {
			t.Fatalf("alice got %q", l)
		}
	}
	if n, most := len(got), int(elapsed/time.Second)+1; n < 1 || n > most {
		t.Errorf("alice got %d slow-down lines in %v, want 1 to %d", n, elapsed, most)
	}
	bobGot := r.bob.Sync()
	most := cfg.FloodBurst + int(cfg.FloodRate*elapsed.Seconds()) + 1
	if len(bobGot) < cfg.FloodBurst-1 || len(bobGot) > most {
		t.Errorf("bob got %d of the 10 000 lines in %v, want %d to %d", len(bobGot), elapsed, cfg.FloodBurst-1, most)
	}
	for i, l := range bobGot[:min(len(bobGot), cfg.FloodBurst-1)] {
		if want := "<alice> flood " + strconv.Itoa(i); l != want {
			t.Fatalf("bob's line %d is %q, want %q: the burst goes through in order", i, l, want)
		}
	}
	if carolGot := r.carol.Sync(); strings.Join(carolGot, "\n") != strings.Join(bobGot, "\n") {
		t.Errorf("carol got %d lines, bob %d: the room hears the same", len(carolGot), len(bobGot))
	}
	// The others chat on; alice hears them (her own sentinel could be over
	// the limit still, so hers is the lines she expects).
	r.bob.Send("calm again")
	r.carol.Expect("<bob> calm again")
	r.alice.Expect("<bob> calm again")
	r.carol.Send("yes")
	r.bob.Expect("<carol> yes")
	r.alice.Expect("<carol> yes")
	allQuiet(r.bob, r.carol)
}

// A client that never reads while others chat: the others get every line,
// the server's memory stays bounded, and when the sleeper reads at last it
// is told how many lines it lost and gets the newest. Not parallel: it
// measures the heap.
func TestStalledReader(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	cfg.Store = store.NewMemory(100) // so the heap holds no history to speak of
	srv := apptest.Start(t, cfg)
	alice := apptest.Login(t, srv.Telnet, "alice")
	bob := apptest.Login(t, srv.Telnet, "bob")
	alice.Expect(joinLine("bob"))

	sloth, err := net.Dial("tcp", srv.Telnet)
	if err != nil {
		t.Fatal(err)
	}
	defer sloth.Close()
	if _, err := sloth.Write([]byte("sloth\r\n")); err != nil {
		t.Fatal(err)
	}
	alice.Expect(joinLine("sloth"))
	bob.Expect(joinLine("sloth"))

	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	// alice sends in chunks that bob, a reader that keeps up, takes in
	// before the next: bob's own outbox never fills even when the race
	// detector and a loaded machine slow his reads, while sloth's does.
	const n, chunk = 10000, 500
	text := strings.Repeat("z", 300)
	start := time.Now()
	for first := 0; first < n; first += chunk {
		alice.SendRaw(numbered(first, chunk, text))
		for i := first; i < first+chunk; i++ {
			if l, want := bob.Next(), "<alice> "+strconv.Itoa(i)+" "+text; l != want {
				t.Fatalf("bob's line %d is %.40q, want %.40q", i, l, want)
			}
		}
	}
	t.Logf("bob got all %d lines in %v while sloth read nothing", n, time.Since(start))
	allQuiet(alice, bob)

	runtime.GC()
	runtime.ReadMemStats(&ms1)
	grew := int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc)
	t.Logf("heap grew by %d KiB", grew>>10)
	if grew > 4<<20 {
		t.Errorf("heap grew by %d KiB for %d lines to a stalled reader", grew>>10, n)
	}

	// The sleeper wakes: lines delivered and lines counted as dropped add
	// up to every line sent to it, and the newest are the ones kept.
	if _, err := sloth.Write([]byte("/room\r\n")); err != nil {
		t.Fatal(err)
	}
	sloth.SetReadDeadline(time.Now().Add(apptest.Wait))
	br := bufio.NewReader(sloth)
	delivered, dropped, last := 0, 0, -1
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("sloth: %v after %d lines", err, delivered)
		}
		l = strings.TrimSuffix(l, "\n")
		if l == roomLine("chat") {
			break
		}
		if k, ok := chattest.Dropped(l); ok {
			dropped += k
			continue
		}
		delivered++
		if rest, ok := strings.CutPrefix(l, "<alice> "); ok {
			k, _ := strconv.Atoi(strings.Fields(rest)[0])
			if k <= last {
				t.Fatalf("sloth got line %d after %d", k, last)
			}
			last = k
		}
	}
	t.Logf("sloth got %d lines and was told %d were dropped", delivered, dropped)
	if total := 3 + 2 + n; delivered+dropped != total { // welcome, login, join, messages
		t.Errorf("sloth: %d delivered + %d dropped, want %d", delivered, dropped, total)
	}
	if dropped == 0 || last != n-1 {
		t.Errorf("sloth: %d dropped, last line %d; want lines dropped and the newest kept", dropped, last)
	}
	alice.Send("all fine")
	bob.Expect("<alice> all fine")
	if l, err := br.ReadString('\n'); err != nil || l != "<alice> all fine\n" {
		t.Errorf("sloth then got %q, %v", l, err)
	}
}

// numbered returns n lines "I text", I counting from first, each ending in CRLF.
func numbered(first, n int, text string) []byte {
	var b []byte
	for i := first; i < first+n; i++ {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ' ')
		b = append(b, text...)
		b = append(b, "\r\n"...)
	}
	return b
}
