// Package store holds the engine's persistence: an in-memory store for tests
// and for running without a data folder, and the SQLite store.
package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"chatserver/chat"
)

// Memory is a chat.Store that keeps everything in memory: nothing survives
// the process. Safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	rooms    []chat.RoomRecord
	bans     map[[2]string]chat.BanRecord
	mutes    map[[2]string]chat.MuteRecord // by folded room and name
	names    map[string]chat.NameRecord
	msgs     map[string][]chat.Message // by folded room name
	retained int
	rights   memRights
	ignores  map[string][]chat.IgnoreRecord // by folded name of who ignores; memory_ignore.go
	offline  memOffline                     // memory_offline.go

	serverBans []chat.ServerBanRecord         // in the order made (memory_serverbans.go)
	passwords  map[string]chat.PasswordRecord // by folded name (memory_passwords.go)
	audit      []chat.AuditRecord             // in the order recorded (memory_audit.go)
}

// NewMemory returns an empty in-memory store that keeps the last retained
// messages of each room (10 000 if retained <= 0).
func NewMemory(retained int) *Memory {
	if retained <= 0 {
		retained = 10000
	}
	return &Memory{bans: map[[2]string]chat.BanRecord{}, mutes: map[[2]string]chat.MuteRecord{}, names: map[string]chat.NameRecord{}, msgs: map[string][]chat.Message{}, retained: retained}
}

// Load returns what the store holds.
func (m *Memory) Load(context.Context) (chat.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	snap := chat.Snapshot{Rooms: slices.Clone(m.rooms)}
	for _, b := range m.bans {
		snap.Bans = append(snap.Bans, b)
	}
	for _, mu := range m.mutes {
		snap.Mutes = append(snap.Mutes, mu)
	}
	for _, n := range m.names {
		snap.Names = append(snap.Names, n)
	}
	snap.ServerBans = slices.Clone(m.serverBans)
	return snap, nil
}

// CreateRoom records r, or returns an error wrapping chat.ErrRoomExists
// if a room of the same folded name is stored.
func (m *Memory) CreateRoom(_ context.Context, r chat.RoomRecord) error {
	key := chat.Fold(r.Name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.rooms, func(o chat.RoomRecord) bool { return chat.Fold(o.Name) == key }) {
		return fmt.Errorf("store room %s: %w", r.Name, chat.ErrRoomExists)
	}
	m.rooms = append(m.rooms, r)
	return nil
}

// DeleteRooms removes the rooms called names, their bans, mutes, rights and
// messages.
func (m *Memory) DeleteRooms(_ context.Context, names []string) error {
	keys := map[string]bool{}
	for _, name := range names {
		keys[chat.Fold(name)] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rooms = slices.DeleteFunc(m.rooms, func(r chat.RoomRecord) bool { return keys[chat.Fold(r.Name)] })
	for k := range m.bans {
		if keys[k[0]] {
			delete(m.bans, k)
		}
	}
	for k := range m.mutes {
		if keys[k[0]] {
			delete(m.mutes, k)
		}
	}
	for key := range keys {
		delete(m.msgs, key)
	}
	m.rights.deleteRooms(keys)
	return nil
}

// SaveBan records b.
func (m *Memory) SaveBan(_ context.Context, b chat.BanRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bans[[2]string{chat.Fold(b.Room), chat.Fold(b.Name)}] = b
	return nil
}

// DeleteBan removes the ban of name from room.
func (m *Memory) DeleteBan(_ context.Context, room, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.bans, [2]string{chat.Fold(room), chat.Fold(name)})
	return nil
}

// BindName records n.
func (m *Memory) BindName(_ context.Context, n chat.NameRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names[chat.Fold(n.Name)] = n
	return nil
}

// AppendMessage keeps msg, dropping the room's oldest past the retention.
func (m *Memory) AppendMessage(msg chat.Message) {
	key := chat.Fold(msg.Room)
	m.mu.Lock()
	defer m.mu.Unlock()
	list := append(m.msgs[key], msg)
	if len(list) > m.retained+m.retained/4 { // trim in batches: amortised O(1) a message
		list = slices.Delete(list, 0, len(list)-m.retained)
	}
	m.msgs[key] = list
}

// History returns up to n messages of room whose Seq is below before,
// oldest first. A room's messages come in Seq order (the engine appends
// them in its order).
func (m *Memory) History(_ context.Context, room string, before uint64, n int) ([]chat.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.msgs[chat.Fold(room)]
	if len(list) > m.retained {
		list = list[len(list)-m.retained:]
	}
	end, _ := slices.BinarySearchFunc(list, before, func(msg chat.Message, seq uint64) int { return cmp.Compare(msg.Seq, seq) })
	start := max(0, end-max(n, 0))
	return slices.Clone(list[start:end]), nil
}
