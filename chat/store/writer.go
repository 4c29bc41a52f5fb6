package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"runtime/debug"
	"strings"
	"time"

	"chatserver/chat"
)

const (
	// maxBatch bounds the messages of one write transaction.
	maxBatch = 1024
	// rowsPerInsert is how many messages one INSERT statement writes: one
	// statement per row costs several times more.
	rowsPerInsert = 64
	// warnEvery spaces out the writer's repeated warnings; while messages
	// are lost or dropped, their running totals are logged that often.
	warnEvery = 10 * time.Second
)

// writer owns the writing of messages: it takes whatever is queued, writes
// it in one transaction, and starts over, so batches grow with the load and
// a message waits at most for the write before it. It prunes each room's
// history as it goes. It returns once quit is closed and the queue written.
func (s *SQLite) writer() {
	defer close(s.done)
	w := &batchWriter{s: s, inserts: map[int]string{}, batch: make([]chat.Message, 0, maxBatch)}
	// Prepared now, while no transaction holds the one writing connection;
	// without it, full chunks are prepared each time.
	if stmt, err := s.w.Prepare(w.insertSQL(rowsPerInsert)); err == nil {
		w.full = stmt
	}
	every := s.warnEvery
	if every <= 0 {
		every = warnEvery
	}
	w.tick = time.NewTicker(every)
	defer w.tick.Stop()
	w.every = every
	for w.step() {
	}
}

// step serves one turn of the writer: a batch, a flush or the end; it
// reports false after the end. A panic in it is logged with its stack and
// the batch counted as lost; the writer goes on.
func (w *batchWriter) step() (more bool) {
	defer func() {
		if v := recover(); v != nil {
			w.s.lost.Add(uint64(len(w.batch)))
			w.s.log.Error("panic in the store writer, batch lost", "messages", len(w.batch),
				"lost", w.s.lost.Load(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			more = true
		}
	}()
	select {
	case m := <-w.s.queue:
		w.batch = append(w.batch[:0], m)
		w.fill()
		w.write()
	case r := <-w.s.offq:
		w.offline(r)
	case reply := <-w.s.flushReq:
		defer close(reply)
		w.writeAll()
	case <-w.tick.C:
		w.warn(true)
		return true
	case <-w.s.quit:
		w.writeAll()
		w.pruneAll()
		if w.full != nil {
			w.full.Close()
		}
		return false
	}
	w.warn(false)
	return true
}

// batchWriter is the writer goroutine's state.
type batchWriter struct {
	s       *SQLite
	batch   []chat.Message
	args    []any          // the current statement's arguments
	inserts map[int]string // insert statements by row count
	full    *sql.Stmt      // the insert of rowsPerInsert messages, prepared once

	tick  *time.Ticker
	every time.Duration // warnEvery, or the test's

	failing    bool   // the last batch failed
	recovered  bool   // a batch was written after failures, not yet logged
	failed     int    // batches failed since the last line about them
	err        error  // the last batch's error
	lostLogged uint64 // lost count last logged
	lastErr    time.Time
	warned     uint64 // dropped count last warned about
	lastWarned time.Time
}

// fill adds queued messages to the batch, without waiting, up to maxBatch.
func (w *batchWriter) fill() {
	for len(w.batch) < maxBatch {
		select {
		case m := <-w.s.queue:
			w.batch = append(w.batch, m)
		default:
			return
		}
	}
}

// writeAll writes everything queued.
func (w *batchWriter) writeAll() {
	w.offlineAll()
	for {
		w.batch = w.batch[:0]
		w.fill()
		if len(w.batch) == 0 {
			return
		}
		w.write()
	}
}

// write stores the batch in one transaction, with the pruning of the rooms
// it makes long enough. A failed batch is logged and counted as lost.
func (w *batchWriter) write() {
	w.s.writing.Store(int64(len(w.batch)))
	defer w.s.writing.Store(0)
	var err error
	if w.s.beforeWrite != nil {
		err = w.s.beforeWrite(w.batch)
	}
	if err == nil {
		t0 := time.Now()
		err = w.tx()
		if w.s.observe != nil {
			w.s.observe(time.Since(t0))
		}
	}
	if err != nil {
		w.s.lost.Add(uint64(len(w.batch)))
		w.failed++
		w.failing, w.err = true, err
		return
	}
	w.s.written.Add(uint64(len(w.batch)))
	if w.failing {
		w.failing, w.recovered = false, true
	}
}

func (w *batchWriter) tx() error {
	ctx := context.Background()
	tx, err := w.s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	counts := map[string]int{}
	for start := 0; start < len(w.batch); start += rowsPerInsert {
		chunk := w.batch[start:min(len(w.batch), start+rowsPerInsert)]
		w.args = w.args[:0]
		for _, m := range chunk {
			key := chat.Fold(m.Room)
			w.args = append(w.args, key, m.Room, m.From, m.Text, m.Time.UnixNano(), int64(m.Seq), m.Action)
			counts[key]++
		}
		if err := w.insert(ctx, tx, len(chunk)); err != nil {
			return err
		}
	}
	var pruned []string
	w.s.sinceMu.Lock()
	for key, n := range counts {
		if w.s.since[key]+n >= w.s.pruneEvery {
			pruned = append(pruned, key)
		}
	}
	w.s.sinceMu.Unlock()
	for _, key := range pruned {
		if err := w.s.pruneRoom(ctx, tx, key); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	w.s.sinceMu.Lock()
	for key, n := range counts {
		w.s.since[key] += n
	}
	for _, key := range pruned {
		w.s.since[key] = 0
	}
	w.s.sinceMu.Unlock()
	return nil
}

// insert runs the statement that inserts n messages with w.args in tx.
func (w *batchWriter) insert(ctx context.Context, tx *sql.Tx, n int) error {
	var err error
	if n == rowsPerInsert && w.full != nil {
		_, err = tx.StmtContext(ctx, w.full).ExecContext(ctx, w.args...)
	} else {
		_, err = tx.ExecContext(ctx, w.insertSQL(n), w.args...)
	}
	return err
}

// insertSQL returns the statement that inserts n messages.
func (w *batchWriter) insertSQL(n int) string {
	q, ok := w.inserts[n]
	if !ok {
		q = "INSERT INTO messages (room_key, room, sender, text, time, seq, action) VALUES " +
			strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n-1) + "(?, ?, ?, ?, ?, ?, ?)"
		w.inserts[n] = q
	}
	return q
}

// pruneAll prunes every room written to since its last prune.
func (w *batchWriter) pruneAll() {
	w.s.sinceMu.Lock()
	since := maps.Clone(w.s.since)
	w.s.sinceMu.Unlock()
	for key, n := range since {
		if n == 0 {
			continue
		}
		if err := w.s.pruneRoom(context.Background(), w.s.w, key); err != nil {
			w.s.log.Error("prune history", "room", chat.LogName(key), "err", err)
		}
	}
}

// warn logs the running totals of lost and dropped messages, if they grew
// since they were last logged: at once for the first loss after a quiet
// spell, else at most once per tick, so that a long outage is counted in
// full; and once when batches are written again after failing. tick says
// the ticker fired.
func (w *batchWriter) warn(tick bool) {
	now := time.Now()
	due := tick || now.Sub(w.lastErr) >= w.every
	if lost := w.s.lost.Load(); due && (lost != w.lostLogged || w.recovered) {
		if w.failing {
			w.s.log.Error("messages not stored", "lost", lost, "batches_failed", w.failed, "err", w.err)
		} else {
			w.s.log.Warn("messages stored again", "lost", lost, "batches_failed", w.failed, "last_err", w.err)
		}
		w.lostLogged, w.failed, w.lastErr, w.recovered = lost, 0, now, false
	}
	if d := w.s.dropped.Load(); d != w.warned && (tick || now.Sub(w.lastWarned) >= w.every) {
		w.s.log.Warn("store queue full, messages not stored", "dropped", d)
		w.warned, w.lastWarned = d, now
	}
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// pruneRoom deletes all but the newest retained messages of the room whose
// folded name is key.
func (s *SQLite) pruneRoom(ctx context.Context, db execer, key string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM messages WHERE room_key = ? AND seq < (
		SELECT seq FROM messages WHERE room_key = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`, key, key, s.retained-1)
	if err != nil {
		return fmt.Errorf("prune history of %s: %w", key, err)
	}
	return nil
}

// pruneAllRooms deletes the messages past the retention of every room, for
// a retention lowered since the last run.
func (s *SQLite) pruneAllRooms(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "SELECT DISTINCT room_key FROM messages")
	if err != nil {
		return fmt.Errorf("prune history: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return fmt.Errorf("prune history: %w", err)
		}
		keys = append(keys, k)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("prune history: %w", err)
	}
	for _, k := range keys {
		if err := s.pruneRoom(ctx, s.w, k); err != nil {
			return err
		}
	}
	return nil
}
