package chat

import (
	"context"
	"time"
)

// Store is what the engine needs from persistence. Implementations live in
// chat/store. Every method but AppendMessage may block on I/O and is called
// without any engine lock held; AppendMessage must not block.
type Store interface {
	// Load returns everything that survives a restart but history.
	Load(ctx context.Context) (Snapshot, error)
	// CreateRoom records a new room and its creator; it returns once the
	// record is durable. A room of the same folded name is left as it is
	// and reported with an error wrapping ErrRoomExists.
	CreateRoom(ctx context.Context, r RoomRecord) error
	// DeleteRooms removes the rooms called names (compared with Fold),
	// their bans, mutes, rights (RightsStore) and messages, all or none; it returns once the
	// removal is durable.
	DeleteRooms(ctx context.Context, names []string) error
	// SaveBan records a ban; it returns once the record is durable.
	SaveBan(ctx context.Context, b BanRecord) error
	// DeleteBan removes the ban of name (compared with Fold) from room.
	DeleteBan(ctx context.Context, room, name string) error
	// SaveMute records a mute, replacing one of the same name (compared
	// with Fold) in the same room; it returns once the record is durable.
	SaveMute(ctx context.Context, m MuteRecord) error
	// DeleteMute removes the mute of name (compared with Fold) in room.
	DeleteMute(ctx context.Context, room, name string) error
	// BindName records that a name belongs to an SSH key, or refreshes
	// its last use, replacing the record of a name that folds the same.
	BindName(ctx context.Context, n NameRecord) error
	// AppendMessage queues a room message for storage. It never blocks.
	AppendMessage(m Message)
	// History returns up to n messages of room whose Seq is below before,
	// oldest first: the room's last n for before = math.MaxUint64, and the
	// page above a message for before = its Seq.
	History(ctx context.Context, room string, before uint64, n int) ([]Message, error)
	// RightsStore keeps topics, locks, admins and invitations (rights.go).
	RightsStore
	// OfflineStore keeps whispers and mentions for offline names (offline.go).
	OfflineStore

	// Ignore lists of protected names (/ignore), by the folded name of
	// the user who ignores: Ignores returns the names name ignores, in
	// the order ignored; SaveIgnore records one (replacing a record of a
	// name that folds the same) and DeleteIgnore removes one, each durable
	// when it returns; DeleteIgnores removes all of name's, for a name
	// that a new SSH key now owns.
	Ignores(ctx context.Context, name string) ([]IgnoreRecord, error)
	SaveIgnore(ctx context.Context, r IgnoreRecord) error
	DeleteIgnore(ctx context.Context, name, ignored string) error
	DeleteIgnores(ctx context.Context, name string) error

	// SaveServerBan records a ban from the whole server (/gban), replacing
	// one of a name that folds the same; it returns once it is durable.
	SaveServerBan(ctx context.Context, b ServerBanRecord) error
	// DeleteServerBan removes the server ban of name (compared with Fold).
	DeleteServerBan(ctx context.Context, name string) error

	// PasswordStore keeps the names' passwords (password.go).
	PasswordStore
	// AuditStore keeps the audit log (audit.go).
	AuditStore
}

// Snapshot is the durable state the engine starts from.
type Snapshot struct {
	Rooms []RoomRecord // in creation order
	Bans  []BanRecord
	Mutes []MuteRecord
	Names []NameRecord

	ServerBans []ServerBanRecord // in the order they were made
}

// RoomRecord is a room as created.
type RoomRecord struct {
	Name    string // as first written
	Creator string // the creator's name as they logged in, "" for none
	Created time.Time
}

// BanRecord is one user banned from one room.
type BanRecord struct {
	Room string // the room's name
	Name string // the banned user's name as it was when banned
	By   string // the plugin that banned, whose name tags the refusal line
	Time time.Time
	// Until is when the ban ends by itself; zero for good.
	Until time.Time
	// KeyID is the fingerprint of the SSH key the user was logged in with
	// when banned, "" for none: that key is kept out too, whatever name it
	// logs in with.
	KeyID string
}

// MuteRecord is one user muted in one room: their messages and actions
// there are not delivered.
type MuteRecord struct {
	Room string // the room's name
	Name string // the muted user's name as it was when muted
	// By is the plugin whose name tags the muted line; not stored (the
	// plugin with the /mute command, after a restart).
	By    string
	Time  time.Time
	Until time.Time // when the mute ends by itself; zero for good
}

// ends returns when the ban ends by itself, zero for never.
func (b BanRecord) ends() time.Time { return b.Until }

// ends returns when the mute ends by itself, zero for never.
func (m MuteRecord) ends() time.Time { return m.Until }

// NameRecord binds a user name to the SSH key that first used it.
type NameRecord struct {
	Name     string
	KeyID    string    // the key's SHA256 fingerprint
	LastUsed time.Time // the key's last login with the name (or so), zero if unknown
}

// IgnoreRecord is one name a protected user ignores (/ignore).
type IgnoreRecord struct {
	Name    string // the user who ignores
	Ignored string // the name ignored, as it was shown when ignored
	Time    time.Time
}

// Message is one message said in a room.
type Message struct {
	Room string
	From string
	Text string
	Time time.Time
	Seq  uint64 // its place in the room's one order: 1, 2, … (Event.Seq)
	// Action marks an action (/me TEXT), shown "* From Text" rather than
	// "<From> Text". A plugin's MessageReceived sees actions too.
	Action bool
}
