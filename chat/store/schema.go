package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations turn a database of version i into one of version i+1; the
// version is SQLite's user_version, 0 for a new file. Each runs in one
// transaction with the version bump, so a crash leaves the file at the
// version before or after it. Append only: a migration that shipped is
// never edited, or files already past it would differ from new ones.
var migrations = [...]string{
	// 1: rooms in creation order, bans, names bound to SSH keys, messages.
	// Identity columns (*key) hold chat.Fold of the name; the name columns
	// hold it as first written. Times are Unix nanoseconds.
	`CREATE TABLE rooms (
		id      INTEGER PRIMARY KEY,
		key     TEXT NOT NULL UNIQUE,
		name    TEXT NOT NULL,
		creator TEXT NOT NULL,
		created INTEGER NOT NULL
	);
	CREATE TABLE bans (
		room_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		room     TEXT NOT NULL,
		name     TEXT NOT NULL,
		time     INTEGER NOT NULL,
		PRIMARY KEY (room_key, name_key)
	) WITHOUT ROWID;
	CREATE TABLE names (
		key    TEXT PRIMARY KEY,
		name   TEXT NOT NULL,
		key_id TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE messages (
		id       INTEGER PRIMARY KEY,
		room_key TEXT NOT NULL,
		room     TEXT NOT NULL,
		sender   TEXT NOT NULL,
		text     TEXT NOT NULL,
		time     INTEGER NOT NULL
	);
	CREATE INDEX messages_room ON messages (room_key, id);`,

	// 2: a ban records the plugin that set it, whose name tags the refusal
	// line (version 1 had only helperbot); meta holds the store's own notes.
	`ALTER TABLE bans ADD COLUMN by_plugin TEXT NOT NULL DEFAULT 'helperbot';
	CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;`,

	// 3: a name binding records its key's last login with the name (Unix
	// nanoseconds), for bindings to lapse; those of version 2 count as
	// used when the file was migrated.
	`ALTER TABLE names ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
	UPDATE names SET last_used = CAST(strftime('%s', 'now') AS INTEGER) * 1000000000;`,
	// 4: a message keeps its place in its room's one order (chat.Event.Seq),
	// by which history is paged and pruned: times can tie and go back.
	// Older messages take their id, which grew in the order they were
	// written; the engine numbers new ones on from a room's last.
	`ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
	UPDATE messages SET seq = id;
	DROP INDEX messages_room;
	CREATE INDEX messages_room ON messages (room_key, seq);`,
	// 5: a message may be an action (/me), shown "* NAME TEXT"; older
	// messages are plain ones.
	`ALTER TABLE messages ADD COLUMN action INTEGER NOT NULL DEFAULT 0;`,
	// 6: the second release's moderation state. A room has a topic and
	// may be locked (invite-only); a ban may be timed (until, 0 for good)
	// and carry the SSH key of the user banned (key_id, "" for none);
	// rooms have admins besides their creator, mutes and invitations
	// (told: the invited user has been told); the server has its own bans
	// by name, key and address; a protected name keeps its ignore list.
	`ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
	ALTER TABLE rooms ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE bans ADD COLUMN until INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE bans ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
	CREATE TABLE admins (
		room_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		room     TEXT NOT NULL,
		name     TEXT NOT NULL,
		by_name  TEXT NOT NULL,
		time     INTEGER NOT NULL,
		PRIMARY KEY (room_key, name_key)
	) WITHOUT ROWID;
	CREATE TABLE mutes (
		room_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		room     TEXT NOT NULL,
		name     TEXT NOT NULL,
		until    INTEGER NOT NULL,
		time     INTEGER NOT NULL,
		PRIMARY KEY (room_key, name_key)
	) WITHOUT ROWID;
	CREATE TABLE invites (
		room_key TEXT NOT NULL,
		name_key TEXT NOT NULL,
		room     TEXT NOT NULL,
		name     TEXT NOT NULL,
		by_name  TEXT NOT NULL,
		told     INTEGER NOT NULL DEFAULT 0,
		time     INTEGER NOT NULL,
		PRIMARY KEY (room_key, name_key)
	) WITHOUT ROWID;
	CREATE TABLE server_bans (
		id       INTEGER PRIMARY KEY,
		name_key TEXT NOT NULL UNIQUE,
		name     TEXT NOT NULL,
		key_id   TEXT NOT NULL,
		addr     TEXT NOT NULL,
		by_name  TEXT NOT NULL,
		until    INTEGER NOT NULL,
		time     INTEGER NOT NULL
	);
	CREATE TABLE ignores (
		name_key    TEXT NOT NULL,
		ignored_key TEXT NOT NULL,
		ignored     TEXT NOT NULL,
		time        INTEGER NOT NULL,
		PRIMARY KEY (name_key, ignored_key)
	) WITHOUT ROWID;`,
	// 7: identity across doors. A name may be protected by a password
	// (hash: a self-describing slow salted hash, never the password); a
	// protected name that is offline is kept the whispers and mentions
	// meant for it (room "" for a whisper), oldest first by id.
	`CREATE TABLE passwords (
		name_key TEXT PRIMARY KEY,
		name     TEXT NOT NULL,
		hash     TEXT NOT NULL,
		time     INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE offline (
		id       INTEGER PRIMARY KEY,
		name_key TEXT NOT NULL,
		author   TEXT NOT NULL,
		room     TEXT NOT NULL,
		text     TEXT NOT NULL,
		time     INTEGER NOT NULL
	);
	CREATE INDEX offline_name ON offline (name_key, id);`,
	// 8: the audit log, every moderation act in the order done: who
	// (their name, SSH key fingerprint and address), what (action: kick,
	// ban, unban, mute, …), to whom and where (target, room; "" where it
	// does not apply) and its arguments (a duration, a topic), never a
	// password.
	`CREATE TABLE audit (
		id         INTEGER PRIMARY KEY,
		time       INTEGER NOT NULL,
		actor      TEXT NOT NULL,
		actor_key  TEXT NOT NULL,
		actor_addr TEXT NOT NULL,
		action     TEXT NOT NULL,
		target     TEXT NOT NULL,
		room       TEXT NOT NULL,
		args       TEXT NOT NULL
	);
	CREATE INDEX audit_time ON audit (time);`,
}

// SchemaVersion is the version of the database this package writes.
const SchemaVersion = len(migrations)

// migrate brings db, whose only connection writes, to SchemaVersion.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this chatserver knows (%d): %w", v, SchemaVersion, ErrNewerSchema)
	}
	for ; v < SchemaVersion; v++ {
		if err := apply(ctx, db, v+1, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, version int, ddl string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return err
	}
	return tx.Commit()
}
