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
	// their bans, rights (RightsStore) and messages, all or none; it returns once the
	// removal is durable.
	DeleteRooms(ctx context.Context, names []string) error
	// SaveBan records a ban; it returns once the record is durable.
	SaveBan(ctx context.Context, b BanRecord) error
	// DeleteBan removes the ban of name (compared with Fold) from room.
	DeleteBan(ctx context.Context, room, name string) error
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
}

// Snapshot is the durable state the engine starts from.
type Snapshot struct {
	Rooms []RoomRecord // in creation order
	Bans  []BanRecord
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
}

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
