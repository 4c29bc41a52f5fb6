package sshd_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"chatserver/app/apptest"
	"chatserver/app/sshd"
	"chatserver/bots/helperbot"
	"chatserver/chat"
	"chatserver/chat/store"
)

// logBuffer is a log's output, safe to read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDoor runs an SSH door alone on a fresh hub, with hook in every UI's
// Update and its log in logs, until the test ends.
func startDoor(t *testing.T, cfg sshd.Config, hook func(user string, msg tea.Msg)) (addr string, logs *logBuffer) {
	t.Helper()
	logs = &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	hub, err := chat.New(t.Context(), chat.Config{Store: store.NewMemory(0), Plugins: []chat.Plugin{helperbot.New()}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.HostKeyPath, cfg.Hub, cfg.Logger = "127.0.0.1:0", filepath.Join(t.TempDir(), "host_key"), hub, log
	d, err := sshd.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.SetUpdateHook(hook)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		hub.Shutdown()
		cancel()
		select {
		case <-done:
		case <-time.After(apptest.Wait):
			t.Errorf("Run still running %v after shutdown", apptest.Wait)
			d.CloseAll()
		}
	})
	return d.Addr().String(), logs
}

// TestPanicEndsOneConnection: a panic in one user's UI is logged with the
// user, the door and the stack, and ends that user's connection only: the
// others, on the UI or the line protocol, go on chatting, and new users
// get in.
func TestPanicEndsOneConnection(t *testing.T) {
	t.Parallel()
	addr, logs := startDoor(t, sshd.Config{}, func(user string, msg tea.Msg) {
		if k, ok := msg.(tea.KeyPressMsg); ok && user == "bomb" && k.Text == "!" {
			panic("boom")
		}
	})
	carol := apptest.LoginSSH(t, addr, "carol", nil)
	alice := apptest.DialScreen(t, addr, "alice", nil, 80, 24)
	carol.Expect("<helperbot> alice has joined the chat room!")
	bomb := apptest.DialScreen(t, addr, "bomb", nil, 80, 24)
	carol.Expect("<helperbot> bomb has joined the chat room!")
	bomb.WaitText("bomb has joined")
	alice.WaitText("bomb has joined")

	bomb.Type("!")
	carol.Expect("<helperbot> bomb has left the chat room!")
	apptest.Eventually(t, "bomb's connection closed", bomb.Ended)
	apptest.Eventually(t, "the panic logged", func() bool {
		l := logs.String()
		return strings.Contains(l, `level=ERROR msg="panic, connection closed" door=ssh user=bomb addr=`) && strings.Contains(l, `panic=boom stack=`) &&
			strings.Contains(l, "TestPanicEndsOneConnection")
	})

	alice.Type("still here\r")
	carol.Expect("<alice> still here")
	carol.Send("good")
	alice.WaitText("good")
	if alice.Ended() {
		t.Error("alice's session ended")
	}
	apptest.LoginSSH(t, addr, "dave", nil)
	carol.Expect("<helperbot> dave has joined the chat room!")
}
