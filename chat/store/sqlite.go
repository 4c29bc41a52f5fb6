package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"chatserver/chat"
)

// ErrNewerSchema means the database was written by a newer chatserver.
var ErrNewerSchema = errors.New("database is from a newer chatserver")

// Options tune an SQLite store. The zero value is usable.
type Options struct {
	// HistoryPerRoom is how many messages each room keeps; older ones are
	// deleted as new ones are written, each time a room has gained a tenth
	// of it (at most 1000 messages), and at Open. 10 000 if <= 0.
	HistoryPerRoom int
	// QueueLen is how many messages may wait for the writer; past that,
	// AppendMessage drops them (counted, logged) rather than block chat.
	// 8192 if <= 0.
	QueueLen int
	// Logger receives write errors and dropped-message counts; nil discards.
	Logger *slog.Logger
	// ObserveBatch, if set, is given how long each batch of messages took
	// to write, on the writer's goroutine; it must not block.
	ObserveBatch func(time.Duration)

	beforeWrite func([]chat.Message) error // a test's hook into the writer: panic, or fail the batch
	warnEvery   time.Duration              // warnEvery, for a test
}

// SQLite is a chat.Store in one SQLite file in WAL mode. Rooms, bans, unbans
// and name bindings are committed (fsynced) before their call returns.
// Messages are queued without blocking and written by one goroutine in
// batches, each batch one transaction, as soon as the previous one is done,
// so a crash loses only what was queued or being written at that instant.
// Safe for concurrent use.
type SQLite struct {
	path       string
	log        *slog.Logger
	retained   int
	pruneEvery int

	w *sql.DB // the one writing connection
	r *sql.DB // reading connections; WAL lets them run beside the writer

	beforeWrite func([]chat.Message) error // Options.beforeWrite
	warnEvery   time.Duration              // Options.warnEvery

	queue     chan chat.Message
	offq      chan chat.OfflineRecord // mentions kept for offline names (sqlite_offline.go)
	flushReq  chan chan struct{}
	quit      chan struct{}
	done      chan struct{}
	closed    atomic.Bool
	dropped   atomic.Uint64       // messages refused because the queue was full
	lost      atomic.Uint64       // messages whose batch failed to write
	written   atomic.Uint64       // messages written (Written)
	observe   func(time.Duration) // Options.ObserveBatch
	writing   atomic.Int64        // messages of the batch being written
	closeOnce sync.Once           // stops the writer
	doneOnce  sync.Once           // closes the database once the writer stopped
	closeErr  error

	sinceMu sync.Mutex
	since   map[string]int // folded room → messages written since its last prune
}

// Open opens (creating if needed) the database at path, checks it, brings
// its schema up to date and starts the message writer. The folder must
// exist. A file that is not a database, is corrupt, is from a newer
// chatserver or cannot be written is an error; Open never returns a store
// it could not write to.
func Open(ctx context.Context, path string, opts Options) (*SQLite, error) {
	s, err := open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, opts Options) (*SQLite, error) {
	if opts.HistoryPerRoom <= 0 {
		opts.HistoryPerRoom = 10000
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 8192
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &SQLite{
		path:        path,
		log:         opts.Logger,
		retained:    opts.HistoryPerRoom,
		pruneEvery:  min(1000, max(1, opts.HistoryPerRoom/10)),
		beforeWrite: opts.beforeWrite,
		observe:     opts.ObserveBatch,
		warnEvery:   opts.warnEvery,
		queue:       make(chan chat.Message, opts.QueueLen),
		offq:        make(chan chat.OfflineRecord, offlineQueueLen),
		flushReq:    make(chan chan struct{}),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		since:       map[string]int{},
	}
	if err := createFile(path); err != nil {
		return nil, err
	}
	// synchronous=FULL: in WAL mode a commit fsyncs the log before it
	// returns, so what was confirmed survives a power cut too, not only a
	// killed process. busy_timeout covers a backup or checkpoint holding
	// a lock for a moment.
	var err error
	s.w, err = openDB(path, "_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	if err := s.prepare(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	s.r, err = openDB(path, "_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		s.w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	if err := s.r.PingContext(ctx); err != nil {
		s.w.Close()
		s.r.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

// createFile creates the database file if it is missing, private to its
// owner, so that a folder that cannot take it fails with the system's word
// for why rather than SQLite's "unable to open database file".
func createFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return errors.New("is a directory")
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return unwrapPath(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return unwrapPath(err)
	}
	return f.Close()
}

// unwrapPath drops the operation and path of an *fs.PathError, which the
// caller's message already names.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// openDB returns a pool on the file at path with the driver parameters params.
func openDB(path, params string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// A file: URI, so that a '?' or '#' in the path is escaped; mode=rwc
	// creates the file; _error_rc keeps open errors to the point.
	u := url.URL{Scheme: "file", Path: abs, RawQuery: "mode=rwc&_error_rc=1&" + params}
	return sql.Open("sqlite", u.String())
}

// prepare puts the file in WAL mode, checks it and migrates it, on the
// writing connection.
func (s *SQLite) prepare(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	var check string
	if err := s.w.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&check); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("database is corrupt: %s", strings.ReplaceAll(check, "\n", "; "))
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	if err := s.rekey(ctx); err != nil {
		return fmt.Errorf("re-key names for fold version %d: %w", chat.FoldVersion, err)
	}
	// Prove the file takes writes now rather than at the first ban: a
	// read-only file opens and reads fine.
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('opened', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("test write: %w", err)
	}
	return s.pruneAllRooms(ctx)
}

// Close writes the queued messages, stops the writer and closes the file.
// Messages appended after Close are dropped. Safe to call more than once.
func (s *SQLite) Close() error { return s.CloseContext(context.Background()) }

// CloseContext is Close that stops waiting for the writer when ctx is
// done: a writer stuck on the disk cannot hold up a shutdown. The messages
// it had not written are then logged as lost, the file is left to the
// writer, and the error says so; a later call may still close it.
func (s *SQLite) CloseContext(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.quit)
	})
	select {
	case <-s.done:
	case <-ctx.Done():
		queued := uint64(len(s.queue)) + uint64(s.writing.Load())
		s.log.Error("store closed before the writer finished, messages not stored",
			"queued", queued, "dropped", s.dropped.Load(), "lost", s.lost.Load())
		return fmt.Errorf("close store %s: the writer did not finish: %w", s.path, ctx.Err())
	}
	s.doneOnce.Do(func() {
		if n := s.dropped.Load() + s.lost.Load(); n > 0 {
			s.log.Warn("store closed, some messages were never stored", "dropped", s.dropped.Load(), "lost", s.lost.Load())
		}
		s.closeErr = errors.Join(s.r.Close(), s.w.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

// Load returns the rooms in creation order, the bans and the name bindings.
func (s *SQLite) Load(ctx context.Context) (chat.Snapshot, error) {
	var snap chat.Snapshot
	rows, err := s.r.QueryContext(ctx, "SELECT name, creator, created FROM rooms ORDER BY id")
	if err != nil {
		return snap, fmt.Errorf("load rooms: %w", err)
	}
	for rows.Next() {
		var r chat.RoomRecord
		var created int64
		if err := rows.Scan(&r.Name, &r.Creator, &created); err != nil {
			rows.Close()
			return snap, fmt.Errorf("load rooms: %w", err)
		}
		r.Created = time.Unix(0, created)
		snap.Rooms = append(snap.Rooms, r)
	}
	if err := closeRows(rows); err != nil {
		return snap, fmt.Errorf("load rooms: %w", err)
	}

	if snap.Bans, err = s.loadBans(ctx); err != nil {
		return snap, err
	}
	if snap.Mutes, err = s.loadMutes(ctx); err != nil {
		return snap, err
	}

	rows, err = s.r.QueryContext(ctx, "SELECT name, key_id, last_used FROM names ORDER BY key")
	if err != nil {
		return snap, fmt.Errorf("load names: %w", err)
	}
	for rows.Next() {
		var n chat.NameRecord
		var used int64
		if err := rows.Scan(&n.Name, &n.KeyID, &used); err != nil {
			rows.Close()
			return snap, fmt.Errorf("load names: %w", err)
		}
		if used != 0 {
			n.LastUsed = time.Unix(0, used)
		}
		snap.Names = append(snap.Names, n)
	}
	if err := closeRows(rows); err != nil {
		return snap, fmt.Errorf("load names: %w", err)
	}
	if snap.ServerBans, err = s.loadServerBans(ctx); err != nil {
		return snap, err
	}
	return snap, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	return errors.Join(err, rows.Close())
}

// CreateRoom records r. A room of the same folded name keeps its record,
// and the error returned wraps chat.ErrRoomExists. It returns once the
// record is durable.
func (s *SQLite) CreateRoom(ctx context.Context, r chat.RoomRecord) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO rooms (key, name, creator, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, chat.Fold(r.Name), r.Name, r.Creator, r.Created.UnixNano())
	if err != nil {
		return fmt.Errorf("store room %s: %w", r.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store room %s: %w", r.Name, err)
	} else if n == 0 {
		return fmt.Errorf("store room %s: %w", r.Name, chat.ErrRoomExists)
	}
	return nil
}

// DeleteRooms removes the rooms called names (compared with chat.Fold),
// their bans, mutes, admins, invitations and messages, in one transaction, and forgets their
// count of messages since the last prune. Messages queued before are
// written first, so none comes back after. It returns once the removal is
// durable.
func (s *SQLite) DeleteRooms(ctx context.Context, names []string) error {
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = chat.Fold(name)
	}
	err := s.Flush(ctx)
	if err == nil {
		err = s.deleteRooms(ctx, keys)
	}
	if err != nil {
		return fmt.Errorf("delete rooms %s: %w", strings.Join(names, ", "), err)
	}
	s.sinceMu.Lock()
	for _, key := range keys {
		delete(s.since, key)
	}
	s.sinceMu.Unlock()
	return nil
}

func (s *SQLite) deleteRooms(ctx context.Context, keys []string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, key := range keys {
		for _, q := range []string{
			"DELETE FROM rooms WHERE key = ?",
			"DELETE FROM bans WHERE room_key = ?",
			"DELETE FROM mutes WHERE room_key = ?",
			"DELETE FROM messages WHERE room_key = ?",
			"DELETE FROM admins WHERE room_key = ?",
			"DELETE FROM invites WHERE room_key = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, key); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// BindName records that n.Name belongs to the key n.KeyID, last used at
// n.LastUsed, replacing the record of a name that folds the same (a lapsed
// binding, or this one refreshed). It returns once the record is durable.
func (s *SQLite) BindName(ctx context.Context, n chat.NameRecord) error {
	var used int64
	if !n.LastUsed.IsZero() {
		used = n.LastUsed.UnixNano()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO names (key, name, key_id, last_used) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, key_id = excluded.key_id, last_used = excluded.last_used`,
		chat.Fold(n.Name), n.Name, n.KeyID, used)
	if err != nil {
		return fmt.Errorf("store name %s: %w", n.Name, err)
	}
	return nil
}

// AppendMessage queues m for the writer. It never blocks: when the queue is
// full (the disk is slower than the chat) or the store is closed, m is
// dropped and counted.
func (s *SQLite) AppendMessage(m chat.Message) { enqueue(s, s.queue, m) }

// enqueue puts v on q, one of the writer's queues, without blocking: when q
// is full or the store is closed, v is dropped and counted.
func enqueue[T any](s *SQLite, q chan<- T, v T) {
	if s.closed.Load() {
		s.dropped.Add(1)
		return
	}
	select {
	case q <- v:
	default:
		s.dropped.Add(1)
	}
}

// Written returns how many messages the writer has stored.
func (s *SQLite) Written() uint64 { return s.written.Load() }

// Dropped returns how many messages were never stored: refused because the
// queue was full or the store closed, or lost to a failed write.
func (s *SQLite) Dropped() uint64 { return s.dropped.Load() + s.lost.Load() }

// Flush waits until every message appended before the call is written (or
// its write failed), or ctx is done.
func (s *SQLite) Flush(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case s.flushReq <- reply:
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// History returns up to n messages of room whose Seq is below before,
// oldest first. Messages still queued for the writer are not seen.
func (s *SQLite) History(ctx context.Context, room string, before uint64, n int) ([]chat.Message, error) {
	if n <= 0 || before == 0 {
		return nil, nil
	}
	end := int64(min(before, math.MaxInt64))
	rows, err := s.r.QueryContext(ctx, `SELECT room, sender, text, time, seq, action FROM messages
		WHERE room_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, chat.Fold(room), end, n)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", room, err)
	}
	var out []chat.Message
	for rows.Next() {
		var m chat.Message
		var t, seq int64
		if err := rows.Scan(&m.Room, &m.From, &m.Text, &t, &seq, &m.Action); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read history of %s: %w", room, err)
		}
		m.Time, m.Seq = time.Unix(0, t), uint64(seq)
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", room, err)
	}
	slices.Reverse(out)
	return out, nil
}
