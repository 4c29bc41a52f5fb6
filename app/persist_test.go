package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"chatserver/app"
	"chatserver/app/apptest"
	"chatserver/chat"
	"chatserver/chat/store"
)

// TestRestartKeepsState runs a server on a data folder, stops it, starts a
// new one on the same folder and checks that rooms (in order, as first
// written), admins, bans, unbans, history and SSH name ownership are back,
// over telnet and SSH.
func TestRestartKeepsState(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	key1, key2 := apptest.NewKey(t), apptest.NewKey(t)

	alice := apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "Den", "Den")
	bob := apptest.Login(t, srv.Telnet, "bob")
	enterRoom(bob, "bob", "attic", "attic")
	for _, name := range []string{"mallory", "trent"} {
		c := apptest.Login(t, srv.Telnet, name)
		enterRoom(c, name, "den", "Den")
	}
	alice.Send("/ban Mallory")
	alice.Until("<helperbot> mallory has left the chat room!")
	alice.Send("/ban trent")
	alice.Until("<helperbot> trent has left the chat room!")
	alice.Send("/unban TRENT")
	alice.Until("<helperbot> trent is no longer banned from 'Den'.")
	for _, text := range []string{"first words", "second words", "last words before the restart"} {
		alice.Send(text)
	}
	alice.Quiet()
	carol := apptest.LoginSSH(t, srv.SSH, "carol", key1) // binds carol to key1
	enterRoom(carol.Client, "carol", "Den", "Den")
	alice.Expect("<helperbot> carol has joined the chat room!")
	carol.Send("said over ssh")
	alice.Expect("<carol> said over ssh")
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	alice = apptest.Login(t, srv.Telnet, "alice")
	alice.Send("/rooms")
	alice.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den", "<helperbot> 3. attic")
	enterRoom(alice, "alice", "DEN", "Den")
	alice.Send("/users")
	alice.Expect("<helperbot> Current online users:", "<helperbot> 1. alice (admin)")
	alice.Send("/history 3")
	for i, want := range []string{"<alice> second words", "<alice> last words before the restart", "<carol> said over ssh"} {
		got := alice.Next()
		if !strings.HasPrefix(got, "<system> [") || !strings.HasSuffix(got, "] "+want) {
			t.Errorf("/history line %d = %q, want \"<system> [HH:MM] %s\"", i+1, got, want)
		}
	}

	mallory := apptest.Login(t, srv.Telnet, "mallory")
	mallory.Send("/switch den")
	mallory.Expect("<helperbot> You're banned from this room and cannot join.")
	mallory.Send("/room")
	mallory.Expect("<system> You're currently in the 'chat' room.")

	trent := apptest.Login(t, srv.Telnet, "trent")
	enterRoom(trent, "trent", "Den", "Den")
	alice.Until("<helperbot> trent has joined the chat room!")
	alice.Send("/kick trent") // admin rights survived
	alice.Until("<helperbot> trent has left the chat room!")
	trent.Until("<helperbot> You've been kicked from the 'Den' room. You've been returned to 'chat'.")

	bob = apptest.Login(t, srv.Telnet, "bob")
	enterRoom(bob, "bob", "Attic", "attic")
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. bob (admin)")

	// The SSH screen shows the room's conversation from before the restart.
	dave := apptest.DialScreen(t, srv.SSH, "dave", nil, 100, 30)
	dave.WaitText("▸ chat")
	dave.Type("/switch Den\r")
	dave.WaitText("▸ Den", "alice: last words before the restart", "carol: said over ssh")

	other := apptest.DialSSHLines(t, srv.SSH, "carol", key2)
	other.Expect("<system> Welcome to the chat room!",
		"<system> That username belongs to another SSH key, please try another one.")
	if code := apptest.ExitStatus(t, other.Session); code != 1 {
		t.Errorf("exit status of a refused login = %d, want 1", code)
	}
	if _, err := srv.App.Hub().Login(t.Context(), "CAROL", chat.LoginOptions{Door: "ssh", KeyID: "SHA256:someone-else", Outbox: chat.NewOutbox(0)}); !errors.Is(err, chat.ErrNameOwned) {
		t.Errorf("Login as CAROL with another key = %v, want ErrNameOwned", err)
	}
	carol = apptest.LoginSSH(t, srv.SSH, "carol", key1)
	enterRoom(carol.Client, "carol", "den", "Den")
	carol.Send("/history 1")
	if got := carol.Next(); !strings.HasSuffix(got, "] <carol> said over ssh") {
		t.Errorf("/history over ssh = %q", got)
	}
}

// TestBanBeforeArrivalSurvivesRestart: a name banned from a room before it
// ever logged in is kept out after a restart, and so are its look-alikes;
// it is still shown as it was banned.
func TestBanBeforeArrivalSurvivesRestart(t *testing.T) {
	cfg := apptest.Config(t)
	srv := apptest.Start(t, cfg)
	alice := apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "Den", "Den")
	alice.Send("/ban Troll")
	alice.Expect("<helperbot> Troll is banned from 'Den'.")
	alice.Quiet()
	srv.Stop(t)

	srv = apptest.Start(t, cfg)
	for _, name := range []string{"troll", "TR0LL"} {
		c := apptest.Login(t, srv.Telnet, name)
		c.Send("/switch den")
		c.Expect("<helperbot> You're banned from this room and cannot join.")
		c.Send("/room")
		c.Expect("<system> You're currently in the 'chat' room.")
		c.Send("/leave")
		c.Closed()
	}
	alice = apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "den", "Den")
	alice.Send("/ban TROLL") // banned already: confirmed as banned
	alice.Expect("<helperbot> Troll is banned from 'Den'.")
	alice.Send("/unban troll")
	alice.Expect("<helperbot> Troll is no longer banned from 'Den'.")
	alice.Quiet()
}

// failingStore is an in-memory store whose durable writes fail while fail
// is set.
type failingStore struct {
	*store.Memory
	fail atomic.Bool
}

var errDiskFull = errors.New("disk full")

func (s *failingStore) CreateRoom(ctx context.Context, r chat.RoomRecord) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.Memory.CreateRoom(ctx, r)
}

func (s *failingStore) SaveBan(ctx context.Context, b chat.BanRecord) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.Memory.SaveBan(ctx, b)
}

func (s *failingStore) DeleteBan(ctx context.Context, room, name string) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.Memory.DeleteBan(ctx, room, name)
}

func (s *failingStore) BindName(ctx context.Context, n chat.NameRecord) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.Memory.BindName(ctx, n)
}

// TestStoreFailureTold checks that when the store cannot write, the user
// is told their action failed and nothing pretends it happened.
func TestStoreFailureTold(t *testing.T) {
	st := &failingStore{Memory: store.NewMemory(0)}
	cfg := apptest.Config(t)
	cfg.Store = st
	srv := apptest.Start(t, cfg)

	alice := apptest.Login(t, srv.Telnet, "alice")
	enterRoom(alice, "alice", "Den", "Den")
	mallory := apptest.Login(t, srv.Telnet, "mallory")
	enterRoom(mallory, "mallory", "Den", "Den")
	trent := apptest.Login(t, srv.Telnet, "trent")
	enterRoom(trent, "trent", "Den", "Den")
	alice.Send("/ban trent")
	alice.Until("<helperbot> trent has left the chat room!")

	st.fail.Store(true)
	alice.Send("/switch Attic")
	alice.Until("<system> Could not create the room 'Attic', please try again.")
	alice.Send("/room")
	alice.Until("<system> You're currently in the 'Den' room.")
	alice.Send("/rooms")
	alice.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. Den")

	alice.Send("/ban mallory")
	alice.Expect("<helperbot> Could not ban mallory, please try again.")
	alice.Send("/ban ghost") // not in the room: no more a ban than mallory's
	alice.Expect("<helperbot> Could not ban ghost, please try again.")
	mallory.Send("/room")
	mallory.Until("<system> You're currently in the 'Den' room.")

	alice.Send("/unban trent")
	alice.Expect("<helperbot> Could not unban trent, please try again.")
	trent.Send("/switch Den")
	trent.Until("<helperbot> You're banned from this room and cannot join.")

	c := apptest.DialSSHLines(t, srv.SSH, "carol", apptest.NewKey(t))
	c.Expect("<system> Welcome to the chat room!", "<system> Login failed, please try again.")
	if code := apptest.ExitStatus(t, c.Session); code != 1 {
		t.Errorf("exit status of a login whose binding failed = %d, want 1", code)
	}

	st.fail.Store(false)
	alice.Send("/ban mallory")
	alice.Until("<helperbot> mallory has left the chat room!")
	alice.Expect("<helperbot> mallory is banned from 'Den'.")
	ghost := apptest.Login(t, srv.Telnet, "ghost")
	ghost.Send("/switch den")
	ghost.Expect("<system> Switched to room 'Den'", "<helperbot> ghost has joined the chat room!")
}

// TestStartErrors checks that a data folder the store cannot use stops
// app.New with one clear error line, and no panic.
func TestStartErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the data folder
		want  func(dir string) string   // the error
	}{
		{"corrupt database", func(t *testing.T) string {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, app.DBFile), []byte(strings.Repeat("garbage ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
			return dir
		}, func(dir string) string {
			return "open store " + filepath.Join(dir, app.DBFile) + ": file is not a database (26)"
		}},
		{"data folder under a file", func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "data")
		}, func(dir string) string {
			return "create data folder: mkdir " + filepath.Dir(dir) + ": not a directory"
		}},
		{"database is a folder", func(t *testing.T) string {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, app.DBFile), 0o700); err != nil {
				t.Fatal(err)
			}
			return dir
		}, func(dir string) string {
			return "open store " + filepath.Join(dir, app.DBFile) + ": is a directory"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := apptest.Config(t)
			cfg.SSHAddr = ""
			cfg.DataDir = tc.setup(t)
			err := newFails(t, cfg)
			if want := tc.want(cfg.DataDir); err.Error() != want {
				t.Errorf("app.New = %q, want %q", err, want)
			}
		})
	}
}

// TestDataFolderCreated checks that a missing data folder is created,
// private to its owner, and that the database survives in it.
func TestDataFolderCreated(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.SSHAddr = ""
	cfg.DataDir = filepath.Join(cfg.DataDir, "new", "data")
	srv := apptest.Start(t, cfg)
	fi, err := os.Stat(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %v, want 0700", fi.Mode().Perm())
	}
	srv.Stop(t)
	fi, err = os.Stat(filepath.Join(cfg.DataDir, app.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestAdminBannedByOldDataGetsIn: a database from before admins could not
// be banned may hold a ban of a room's creator from their own room. The
// creator still gets in, is its admin, and may lift the ban.
func TestAdminBannedByOldDataGetsIn(t *testing.T) {
	cfg := apptest.Config(t)
	db, err := store.Open(t.Context(), filepath.Join(cfg.DataDir, app.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		db.CreateRoom(t.Context(), chat.RoomRecord{Name: "ops", Creator: "Mike"}),
		db.SaveBan(t.Context(), chat.BanRecord{Room: "ops", Name: "mike", By: "helperbot"}),
		db.SaveBan(t.Context(), chat.BanRecord{Room: "ops", Name: "eve", By: "helperbot"}),
		db.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := apptest.Start(t, cfg)
	mike := apptest.Login(t, srv.Telnet, "MIKE")
	enterRoom(mike, "MIKE", "ops", "ops")
	mike.Send("/users")
	mike.Expect("<helperbot> Current online users:", "<helperbot> 1. MIKE (admin)")
	mike.Send("/ban mike")
	mike.Expect("<helperbot> You cannot ban an admin of 'ops'.")
	eve := apptest.Login(t, srv.Telnet, "eve") // other bans still hold
	eve.Send("/switch ops")
	eve.Expect("<helperbot> You're banned from this room and cannot join.")
	mike.Send("/unban mike")
	mike.Expect("<helperbot> mike is no longer banned from 'ops'.")
	allQuiet(mike, eve)
}

// TestExpiredRoomGoneAfterRestart: a room that was empty, without bans and
// messages, for --room-expiry is gone after a restart, with its creator's
// rights, and the name is free for someone else; a room with a ban stays.
func TestExpiredRoomGoneAfterRestart(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.FloodRate = 0
	srv := apptest.Start(t, cfg)
	bob, alice := oneAway(t, srv, "bob", "alice", "den")
	alice.Send("words that expire with den")
	enter(alice, "alice", "vault")
	enter(bob, "bob", "vault")
	alice.Expect(joinLine("bob"))
	alice.Send("/ban bob")
	alice.Until(leaveLine("bob"))
	srv.Stop(t)

	cfg.RoomExpiry = time.Nanosecond // both rooms are older than that now
	srv = apptest.Start(t, cfg)
	bob = apptest.Login(t, srv.Telnet, "bob")
	bob.Send("/rooms")
	bob.Expect("<helperbot> Currently active rooms:", "<helperbot> 1. chat", "<helperbot> 2. vault")
	enter(bob, "bob", "DEN")
	bob.Send("/users")
	bob.Expect("<helperbot> Current online users:", "<helperbot> 1. bob (admin)")
	bob.Send("/history")
	bob.Expect("<system> No messages yet in 'DEN'.")
	bob.Send("/switch vault")
	bob.Expect("<helperbot> You're banned from this room and cannot join.")
	bob.Quiet()
}
