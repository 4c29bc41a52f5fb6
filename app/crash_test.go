package app_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver, to read the file as it was left

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/bots/helperbot"
	"chatserver/chat"
)

// crashChildEnv names the data folder of TestCrashChild's server.
const crashChildEnv = "CHATSERVER_TEST_CRASH_CHILD_DATA"

// TestCrashChild is the server process that TestCrashKeepsConfirmedBans
// starts and kills; run on its own it does nothing.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the server process of TestCrashKeepsConfirmedBans")
	}
	a, err := app.New(context.Background(), app.Config{
		TelnetAddr: "127.0.0.1:0", DataDir: dir, Plugins: []chat.Plugin{helperbot.New()},
	})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	fmt.Println("ADDR", a.TelnetAddr())
	a.Run(context.Background()) // until killed
}

// TestCrashKeepsConfirmedBans runs a server in a child process, streams
// bans and messages at it, and kills it with SIGKILL in the middle. The
// file must pass SQLite's integrity check, every ban whose confirmation
// reached the admin must hold after a restart, and the messages said well
// before the kill must be in the history.
func TestCrashKeepsConfirmedBans(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addrc <- a
			}
			if strings.HasPrefix(sc.Text(), "ERROR") {
				addrc <- sc.Text()
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(apptest.Wait):
		t.Fatal("the server process did not start")
	}
	if strings.HasPrefix(addr, "ERROR") {
		t.Fatal(addr)
	}

	const victims = 40
	alice := apptest.Login(t, addr, "alice")
	enterRoom(alice, "alice", "Den", "Den")
	for i := range victims {
		name := fmt.Sprintf("v%02d", i)
		enterRoom(apptest.Login(t, addr, name), name, "den", "Den")
		alice.Expect("<helperbot> " + name + " has joined the chat room!")
	}

	// The stream: each round says five messages and bans one user. The
	// writer ignores errors: the server dies under it.
	go func() {
		for i := range victims {
			var b strings.Builder
			for j := range 5 {
				fmt.Fprintf(&b, "round %02d message %d\r\n", i, j)
			}
			fmt.Fprintf(&b, "/ban v%02d\r\n", i)
			if _, err := alice.Conn.Write([]byte(b.String())); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	confirmed := map[int]time.Time{} // round → when its ban was confirmed
	confirm := func(line string) {
		var i int
		if _, err := fmt.Sscanf(line, "<helperbot> v%02d has left the chat room!", &i); err == nil {
			confirmed[i] = time.Now()
		}
	}
	for len(confirmed) < victims*3/4 {
		confirm(alice.Next())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for _, l := range alice.Closed() {
		confirm(l)
	}
	cmd.Wait()
	t.Logf("killed after %d of %d bans were confirmed", len(confirmed), victims)

	db, err := sql.Open("sqlite", filepath.Join(dir, app.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check after SIGKILL = %q, %v; want ok", check, err)
	}
	stored := map[string]bool{}
	rows, err := db.Query("SELECT text FROM messages")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var text string
		rows.Scan(&text)
		stored[text] = true
	}
	rows.Close()
	db.Close()
	// A round's messages were handled before its ban; a ban confirmed
	// well before the kill means its messages had time to be written.
	const margin = 300 * time.Millisecond
	lastStored := -1
	for i := range victims {
		if stored[fmt.Sprintf("round %02d message 4", i)] {
			lastStored = i
		}
		at, ok := confirmed[i]
		if !ok || killed.Sub(at) < margin {
			continue
		}
		for j := range 5 {
			if text := fmt.Sprintf("round %02d message %d", i, j); !stored[text] {
				t.Errorf("%q, confirmed %v before the kill, is not stored", text, killed.Sub(at))
			}
		}
	}
	if at, ok := confirmed[lastStored]; ok {
		t.Logf("the last round stored was confirmed %v before the kill", killed.Sub(at).Round(time.Microsecond))
	}

	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	cfg.DataDir = dir
	srv := apptest.Start(t, cfg)
	for i := range victims {
		if _, ok := confirmed[i]; !ok {
			continue
		}
		name := fmt.Sprintf("v%02d", i)
		c := apptest.Login(t, srv.Telnet, name)
		c.Send("/switch Den")
		c.Expect("<helperbot> You're banned from this room and cannot join.")
		c.Send("/leave")
		c.Closed()
	}
}
