package apptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"image/color"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// NewKey returns a fresh ed25519 key for an SSH client.
func NewKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	return s
}

// DialSSH connects to an SSH door at addr as user, with key, or by
// keyboard-interactive with no answers if key is nil. The host key it saw
// is stored in *hostKey if hostKey is not nil. The client is closed when
// the test ends.
func DialSSH(t testing.TB, addr, user string, key gossh.Signer, hostKey *gossh.PublicKey) *gossh.Client {
	t.Helper()
	return DialSSHFrom(t, addr, "", user, key, hostKey)
}

// DialSSHFrom is DialSSH from the local IP from (see DialFrom), or any if
// from is "".
func DialSSHFrom(t testing.TB, addr, from, user string, key gossh.Signer, hostKey *gossh.PublicKey) *gossh.Client {
	t.Helper()
	auth := []gossh.AuthMethod{gossh.KeyboardInteractive(
		func(string, string, []string, []bool) ([]string, error) { return nil, nil })}
	if key != nil {
		auth = []gossh.AuthMethod{gossh.PublicKeys(key)}
	}
	c, err := dialSSH(t, addr, from, user, auth, hostKey)
	if err != nil {
		t.Fatalf("ssh dial %s as %s: %v", addr, user, err)
	}
	return c
}

// DialSSHAuth connects to an SSH door at addr as user with the
// authentication methods auth, tried in order; it returns the error of a
// connection that could not authenticate. The client is closed when the
// test ends.
func DialSSHAuth(t testing.TB, addr, user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	return dialSSH(t, addr, "", user, auth, nil)
}

func dialSSH(t testing.TB, addr, from, user string, auth []gossh.AuthMethod, hostKey *gossh.PublicKey) (*gossh.Client, error) {
	cfg := &gossh.ClientConfig{
		User: user, Auth: auth, Timeout: Wait,
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
			if hostKey != nil {
				*hostKey = k
			}
			return nil
		},
	}
	nc, err := dialer(from).Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	conn, chans, reqs, err := gossh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c := gossh.NewClient(conn, chans, reqs)
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// SSHLines is an SSH session without a pty: the line protocol, read and
// written through the embedded Client's methods (Send, Expect, Sync, …).
type SSHLines struct {
	*Client
	SSH     *gossh.Client
	Session *gossh.Session
}

// DialSSHLines opens a session without a pty (as ssh -T does) on addr as
// user, with key or keyboard-interactive if key is nil.
func DialSSHLines(t testing.TB, addr, user string, key gossh.Signer) *SSHLines {
	t.Helper()
	return DialSSHLinesFrom(t, addr, "", user, key)
}

// DialSSHLinesFrom is DialSSHLines from the local IP from (see DialFrom),
// or any if from is "".
func DialSSHLinesFrom(t testing.TB, addr, from, user string, key gossh.Signer) *SSHLines {
	t.Helper()
	return dialSSHCommand(t, addr, from, user, key, "")
}

// OpenSSHLines is DialSSHLines without starting the shell, which logs the
// user in: the caller calls Session.Shell, e.g. for several at once.
func OpenSSHLines(t testing.TB, addr, user string, key gossh.Signer) *SSHLines {
	t.Helper()
	return openLinesOn(t, DialSSHFrom(t, addr, "", user, key, nil))
}

// dialSSHCommand opens a session without a pty that runs cmd (an exec
// request), or the shell if cmd is "".
func dialSSHCommand(t testing.TB, addr, from, user string, key gossh.Signer, cmd string) *SSHLines {
	t.Helper()
	return linesOn(t, DialSSHFrom(t, addr, from, user, key, nil), cmd)
}

// LinesOn opens a session without a pty (the shell) on the connection sc.
func LinesOn(t testing.TB, sc *gossh.Client) *SSHLines {
	t.Helper()
	return linesOn(t, sc, "")
}

// linesOn opens a session without a pty on sc that runs cmd (an exec
// request), or the shell if cmd is "".
func linesOn(t testing.TB, sc *gossh.Client, cmd string) *SSHLines {
	t.Helper()
	c := openLinesOn(t, sc)
	start := c.Session.Shell
	if cmd != "" {
		start = func() error { return c.Session.Start(cmd) }
	}
	if err := start(); err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	return c
}

// openLinesOn opens a session without a pty on sc, its pipes ready and
// nothing started yet.
func openLinesOn(t testing.TB, sc *gossh.Client) *SSHLines {
	t.Helper()
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatalf("ssh session: %v", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatalf("stdin: %v", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout: %v", err)
	}
	c := &Client{t: t, Conn: &pipeConn{r: stdout, w: stdin, close: sc.Close}, lines: make(chan string, 100000), err: make(chan error, 1)}
	go c.read()
	return &SSHLines{Client: c, SSH: sc, Session: sess}
}

// LoginSSH opens a session without a pty as name and reads the welcome,
// the login line and the user's own join line.
func LoginSSH(t testing.TB, addr, name string, key gossh.Signer) *SSHLines {
	t.Helper()
	c := DialSSHLines(t, addr, name, key)
	c.Expect("<system> Welcome to the chat room!", "<system> Logging in as "+name)
	c.Until("<helperbot> " + name + " has joined the chat room!") // as Login
	return c
}

// ExitStatus waits for the session to end and returns its exit status; it
// fails the test if that takes longer than Wait or no status came.
func ExitStatus(t testing.TB, sess *gossh.Session) int {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- sess.Wait() }()
	select {
	case err := <-errc:
		var ee *gossh.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitStatus()
		default:
			t.Fatalf("session ended without exit status: %v", err)
		}
	case <-time.After(Wait):
		t.Fatalf("session still open after %v", Wait)
	}
	return -1
}

// pipeConn is a session's stdin and stdout as a net.Conn, so that Client
// can read and write it; deadlines are not supported and ignored.
type pipeConn struct {
	r     io.Reader
	w     io.WriteCloser
	close func() error
}

func (p *pipeConn) Read(b []byte) (int, error)       { return p.r.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error)      { return p.w.Write(b) }
func (p *pipeConn) Close() error                     { p.w.Close(); return p.close() }
func (p *pipeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (p *pipeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (p *pipeConn) SetDeadline(time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// Screen is an SSH session with a pty whose output is fed to a terminal
// emulator, so a test reads what a user would see.
type Screen struct {
	t       testing.TB
	SSH     *gossh.Client
	Session *gossh.Session
	stdin   io.WriteCloser

	mu  sync.Mutex
	emu *vt.Emulator
	raw int // bytes received

	done chan struct{} // closed when stdout ended
}

// DialScreen opens a session with an xterm-256color pty of w x h on addr as
// user, with key or keyboard-interactive if key is nil, and starts its
// shell. The emulator is w x h too unless emuW, emuH are given (a test of
// a clamped size).
func DialScreen(t testing.TB, addr, user string, key gossh.Signer, w, h int, emuSize ...int) *Screen {
	t.Helper()
	return DialScreenTerm(t, addr, user, key, "xterm-256color", w, h, emuSize...)
}

// DialScreenTerm is DialScreen with the pty's TERM given.
func DialScreenTerm(t testing.TB, addr, user string, key gossh.Signer, term string, w, h int, emuSize ...int) *Screen {
	t.Helper()
	return ScreenOn(t, DialSSH(t, addr, user, key, nil), term, w, h, emuSize...)
}

// ScreenOn opens a session with a pty of TERM term, w x h, on the
// connection sc (see DialScreen), for a connection authenticated by other
// means than a key, such as a password.
func ScreenOn(t testing.TB, sc *gossh.Client, term string, w, h int, emuSize ...int) *Screen {
	t.Helper()
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatalf("ssh session: %v", err)
	}
	ew, eh := w, h
	if len(emuSize) == 2 {
		ew, eh = emuSize[0], emuSize[1]
	}
	s := &Screen{t: t, SSH: sc, Session: sess, emu: vt.NewEmulator(ew, eh), done: make(chan struct{})}
	if s.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatalf("stdin: %v", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout: %v", err)
	}
	if err := sess.RequestPty(term, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatalf("pty: %v", err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatalf("shell: %v", err)
	}
	go s.pump(stdout)
	go io.Copy(s.stdin, s.emu)       // the terminal's answers to the program's queries
	t.Cleanup(func() { sc.Close() }) // the emulator is not closed: its Read would race with Close
	return s
}

func (s *Screen) pump(r io.Reader) {
	defer close(s.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.mu.Lock()
			s.emu.Write(buf[:n])
			s.raw += n
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Text returns the screen as text, one line per row, trailing spaces trimmed.
func (s *Screen) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.String()
}

// Lines returns the screen's rows, trailing spaces trimmed.
func (s *Screen) Lines() []string {
	lines := strings.Split(s.Text(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}

// Size returns the emulator's width and height.
func (s *Screen) Size() (w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.Width(), s.emu.Height()
}

// Bytes returns how many bytes the session has written so far.
func (s *Screen) Bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw
}

// WaitFor waits until the screen satisfies cond, failing the test with the
// screen after Wait.
func (s *Screen) WaitFor(what string, cond func(text string) bool) {
	s.t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		text := s.Text()
		if cond(text) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not on the screen after %v; screen:\n%s", what, Wait, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitText waits until every one of subs is on the screen.
func (s *Screen) WaitText(subs ...string) {
	s.t.Helper()
	s.WaitFor(strings.Join(subs, ", "), func(text string) bool {
		for _, sub := range subs {
			if !strings.Contains(text, sub) {
				return false
			}
		}
		return true
	})
}

// Type sends keys as a terminal would: "\r" is Enter, "\x03" Ctrl+C.
func (s *Screen) Type(keys string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, keys); err != nil {
		s.t.Fatalf("type %q: %v", keys, err)
	}
}

// Resize resizes the emulator and tells the server, as a terminal window
// being resized does.
func (s *Screen) Resize(w, h int) {
	s.t.Helper()
	s.mu.Lock()
	s.emu.Resize(w, h)
	s.mu.Unlock()
	if err := s.Session.WindowChange(h, w); err != nil {
		s.t.Fatalf("window change: %v", err)
	}
}

// WindowChange tells the server the window is now w x h, leaving the
// emulator as it is (a test of a size the server must clamp).
func (s *Screen) WindowChange(w, h int) {
	s.t.Helper()
	if err := s.Session.WindowChange(h, w); err != nil {
		s.t.Fatalf("window change: %v", err)
	}
}

// Ended reports whether the session's output has ended.
func (s *Screen) Ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Colour returns the foreground colour of the cell at column x, row y of
// the screen, nil for the default.
func (s *Screen) Colour(x, y int) color.Color {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.emu.CellAt(x, y); c != nil {
		return c.Style.Fg
	}
	return nil
}
