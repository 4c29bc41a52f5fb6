package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chatserver/chat"
)

// offlineQueueLen is how many mentions kept for offline names may wait for
// the writer; past that QueueOffline drops them (counted with the
// messages, Dropped) rather than block chat.
const offlineQueueLen = 1024

// SaveOffline keeps r in the offline table and drops the oldest of
// r.Name's records past chat.MaxOffline, in one transaction. It returns
// once both are durable.
func (s *SQLite) SaveOffline(ctx context.Context, r chat.OfflineRecord) error {
	if err := s.writeOffline(ctx, []chat.OfflineRecord{r}); err != nil {
		return fmt.Errorf("keep a message for %s: %w", r.Name, err)
	}
	return nil
}

// QueueOffline queues r for the writer, which keeps it as SaveOffline
// does. It never blocks: when the queue is full or the store is closed, r
// is dropped and counted (Dropped).
func (s *SQLite) QueueOffline(r chat.OfflineRecord) { enqueue(s, s.offq, r) }

// Offline returns what is kept for name, oldest first (by time: what was
// queued may be written after what was saved later), once the writer has
// written what was queued before the call (Flush).
func (s *SQLite) Offline(ctx context.Context, name string) ([]chat.OfflineRecord, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, author, room, text, time FROM offline
		WHERE name_key = ? ORDER BY time, id`, chat.Fold(name))
	if err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	var out []chat.OfflineRecord
	for rows.Next() {
		r := chat.OfflineRecord{Name: name}
		var t int64
		if err := rows.Scan(&r.ID, &r.From, &r.Room, &r.Text, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
		}
		r.Time = time.Unix(0, t)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read messages kept for %s: %w", name, err)
	}
	return out, nil
}

// DeleteOffline removes name's records whose ID is at most upTo. It
// returns once the removal is durable.
func (s *SQLite) DeleteOffline(ctx context.Context, name string, upTo int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM offline WHERE name_key = ? AND id <= ?", chat.Fold(name), upTo)
	if err != nil {
		return fmt.Errorf("delete messages kept for %s: %w", name, err)
	}
	return nil
}

// PruneOffline removes every record kept before before.
func (s *SQLite) PruneOffline(ctx context.Context, before time.Time) error {
	if _, err := s.w.ExecContext(ctx, "DELETE FROM offline WHERE time < ?", before.UnixNano()); err != nil {
		return fmt.Errorf("prune messages kept: %w", err)
	}
	return nil
}

// insertOffline adds r to the offline table in tx.
func insertOffline(ctx context.Context, tx *sql.Tx, r chat.OfflineRecord) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO offline (name_key, author, room, text, time) VALUES (?, ?, ?, ?, ?)",
		chat.Fold(r.Name), r.From, r.Room, r.Text, r.Time.UnixNano())
	return err
}

// capOffline drops the oldest records (by time) of the name whose folded
// form is key past chat.MaxOffline, in tx.
func capOffline(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM offline WHERE id IN (SELECT id FROM offline
		WHERE name_key = ? ORDER BY time DESC, id DESC LIMIT -1 OFFSET ?)`, key, chat.MaxOffline)
	return err
}

// offline writes first and whatever else is queued for offline names, up
// to maxBatch, in one transaction; a failed write is logged and counted as
// lost.
func (w *batchWriter) offline(first chat.OfflineRecord) {
	recs := []chat.OfflineRecord{first}
more:
	for len(recs) < maxBatch {
		select {
		case r := <-w.s.offq:
			recs = append(recs, r)
		default:
			break more
		}
	}
	if err := w.s.writeOffline(context.Background(), recs); err != nil {
		w.s.lost.Add(uint64(len(recs)))
		w.s.log.Error("messages for offline names not kept", "count", len(recs), "err", err)
	}
}

// offlineAll writes everything queued for offline names.
func (w *batchWriter) offlineAll() {
	for {
		select {
		case r := <-w.s.offq:
			w.offline(r)
		default:
			return
		}
	}
}

// writeOffline keeps recs in one transaction, and drops the oldest
// records of their names past chat.MaxOffline.
func (s *SQLite) writeOffline(ctx context.Context, recs []chat.OfflineRecord) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	names := map[string]bool{}
	for _, r := range recs {
		if err := insertOffline(ctx, tx, r); err != nil {
			return err
		}
		names[chat.Fold(r.Name)] = true
	}
	for key := range names {
		if err := capOffline(ctx, tx, key); err != nil {
			return err
		}
	}
	return tx.Commit()
}
