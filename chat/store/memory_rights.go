package store

import (
	"context"
	"slices"

	"chatserver/chat"
)

// memRights is the room rights a Memory keeps, guarded by Memory.mu; its
// zero value is empty.
type memRights struct {
	rooms   map[string]chat.RoomRights      // by folded room name
	admins  map[[2]string]chat.AdminRecord  // by folded room and name
	invites map[[2]string]chat.InviteRecord // by folded room and name
}

// deleteRooms forgets the rights of the rooms whose folded names are keys.
func (r *memRights) deleteRooms(keys map[string]bool) {
	for k := range keys {
		delete(r.rooms, k)
	}
	for k := range r.admins {
		if keys[k[0]] {
			delete(r.admins, k)
		}
	}
	for k := range r.invites {
		if keys[k[0]] {
			delete(r.invites, k)
		}
	}
}

// LoadRights returns the topics, locks, admins and invitations kept.
func (m *Memory) LoadRights(context.Context) (chat.RightsSnapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var snap chat.RightsSnapshot
	for _, rr := range m.rights.rooms {
		snap.Rooms = append(snap.Rooms, rr)
	}
	for _, a := range m.rights.admins {
		snap.Admins = append(snap.Admins, a)
	}
	for _, i := range m.rights.invites {
		snap.Invites = append(snap.Invites, i)
	}
	return snap, nil
}

// roomRights returns the rights of room to change, created if needed,
// with the room's name as created; the caller holds m.mu.
func (m *Memory) roomRights(room string) chat.RoomRights {
	if m.rights.rooms == nil {
		m.rights.rooms = map[string]chat.RoomRights{}
	}
	rr, ok := m.rights.rooms[chat.Fold(room)]
	if !ok {
		rr.Room = room
		if i := slices.IndexFunc(m.rooms, func(r chat.RoomRecord) bool { return chat.Fold(r.Name) == chat.Fold(room) }); i >= 0 {
			rr.Room = m.rooms[i].Name // as created
		}
	}
	return rr
}

// SetTopic records room's topic.
func (m *Memory) SetTopic(_ context.Context, room, topic string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rr := m.roomRights(room)
	rr.Topic = topic
	m.rights.rooms[chat.Fold(room)] = rr
	return nil
}

// SetLocked records whether room is invite-only; unlocking forgets its
// invitations.
func (m *Memory) SetLocked(_ context.Context, room string, locked bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rr := m.roomRights(room)
	rr.Locked = locked
	m.rights.rooms[chat.Fold(room)] = rr
	if !locked {
		for k := range m.rights.invites {
			if k[0] == chat.Fold(room) {
				delete(m.rights.invites, k)
			}
		}
	}
	return nil
}

// SaveAdmin records a.
func (m *Memory) SaveAdmin(_ context.Context, a chat.AdminRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rights.admins == nil {
		m.rights.admins = map[[2]string]chat.AdminRecord{}
	}
	m.rights.admins[[2]string{chat.Fold(a.Room), chat.Fold(a.Name)}] = a
	return nil
}

// DeleteAdmin removes the admin record of name from room.
func (m *Memory) DeleteAdmin(_ context.Context, room, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rights.admins, [2]string{chat.Fold(room), chat.Fold(name)})
	return nil
}

// SaveInvite records i.
func (m *Memory) SaveInvite(_ context.Context, i chat.InviteRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rights.invites == nil {
		m.rights.invites = map[[2]string]chat.InviteRecord{}
	}
	m.rights.invites[[2]string{chat.Fold(i.Room), chat.Fold(i.Name)}] = i
	return nil
}
