// Package jsonbot is an example bot that lives outside the server, as any
// program can: it logs in over SSH, runs the "json" command, reads what
// happens as JSON lines (PROTOCOL.md, "JSON lines for bots") and answers
// with lines of the line protocol. It knows two commands, said in its room
// or whispered to it: "!time" (the time, in UTC) and "!echo TEXT".
//
// It imports nothing of the server: a bot in another language does the same
// with its own SSH client and JSON reader. cmd/jsonbot runs it.
package jsonbot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Line is one JSON line from the server. Fields that do not apply are
// left out by the server and zero here.
type Line struct {
	Type    string    `json:"type"` // message, action, whisper, join, leave, system, bot, users, rooms
	Time    time.Time `json:"time"`
	Room    string    `json:"room"`
	From    string    `json:"from"`
	Text    string    `json:"text"`
	Items   []Item    `json:"items"`   // users, rooms
	History bool      `json:"history"` // a message replayed by /history
}

// Item is an entry of a users or rooms line.
type Item struct {
	Name       string `json:"name"`
	Admin      bool   `json:"admin"`
	Away       bool   `json:"away"`
	InviteOnly bool   `json:"invite_only"`
}

// Config says where and as whom the bot logs in.
type Config struct {
	Addr    string              // host:port of the server's SSH door
	Name    string              // the bot's chat name, the SSH user name
	Auth    []ssh.AuthMethod    // e.g. ssh.PublicKeys(signer), so the name is the key's
	HostKey ssh.HostKeyCallback // e.g. knownhosts.New(path)
	Logger  *slog.Logger        // nil discards
	Now     func() time.Time    // nil: time.Now
}

// maxLine bounds a line read from the server: a /users listing of a
// crowded room is one line.
const maxLine = 1 << 20

// Run logs in, runs "json" and answers what it reads until ctx is done
// (it then returns nil) or the session ends (it returns why).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", cfg.Addr, err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, cfg.Addr, &ssh.ClientConfig{
		User: cfg.Name, Auth: cfg.Auth, HostKeyCallback: cfg.HostKey, Timeout: 15 * time.Second,
	})
	if err != nil {
		nc.Close()
		return fmt.Errorf("ssh %s@%s: %w", cfg.Name, cfg.Addr, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh session: %w", err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	if err := sess.Start("json"); err != nil {
		return fmt.Errorf("run json: %w", err)
	}
	last, err := serve(out, in, cfg)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if err := sess.Wait(); err != nil {
		return fmt.Errorf("session ended (the server's last word: %q): %w", last, err)
	}
	return fmt.Errorf("session ended (the server's last word: %q)", last)
}

// serve reads JSON lines from r and writes the bot's answers to w, until
// r ends; it returns the last system line read, which says why a login
// was refused.
func serve(r io.Reader, w io.Writer, cfg Config) (last string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return last, fmt.Errorf("read %q: %w", sc.Bytes(), err)
		}
		cfg.Logger.Debug("line", "type", l.Type, "room", l.Room, "from", l.From)
		if l.Type == "system" {
			last = l.Text
		}
		reply, ok := Answer(l, cfg.Name, cfg.Now())
		if !ok {
			continue
		}
		if _, err := io.WriteString(w, reply+"\n"); err != nil {
			return last, fmt.Errorf("write: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return last, fmt.Errorf("read: %w", err)
	}
	return last, nil
}

// Answer returns the line the bot sends in answer to l, and whether it
// answers at all: a message in its room gets a message, a whisper gets a
// whisper back. It never answers itself, a replayed message, or anything
// but "!time" and "!echo TEXT"; an echo is prefixed with the asker's name,
// so that it is never taken for a command.
func Answer(l Line, self string, now time.Time) (string, bool) {
	if l.History || strings.EqualFold(l.From, self) || (l.Type != "message" && l.Type != "whisper") {
		return "", false
	}
	var say string
	switch cmd, arg, _ := strings.Cut(l.Text, " "); cmd {
	case "!time":
		say = "The time is " + now.UTC().Format("2006-01-02 15:04") + " UTC."
	case "!echo":
		if arg = strings.TrimSpace(arg); arg == "" {
			return "", false
		}
		say = l.From + ": " + arg
	default:
		return "", false
	}
	if l.Type == "whisper" {
		return "/w " + l.From + " " + say, true
	}
	return say, true
}
