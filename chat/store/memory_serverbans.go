package store

import (
	"context"
	"slices"

	"chatserver/chat"
)

// SaveServerBan records b, replacing the ban of a name that folds the
// same, which then counts as made last.
func (m *Memory) SaveServerBan(_ context.Context, b chat.ServerBanRecord) error {
	key := chat.Fold(b.Name)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.serverBans = slices.DeleteFunc(m.serverBans, func(o chat.ServerBanRecord) bool { return chat.Fold(o.Name) == key })
	m.serverBans = append(m.serverBans, b)
	return nil
}

// DeleteServerBan removes the server ban of name.
func (m *Memory) DeleteServerBan(_ context.Context, name string) error {
	key := chat.Fold(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.serverBans = slices.DeleteFunc(m.serverBans, func(o chat.ServerBanRecord) bool { return chat.Fold(o.Name) == key })
	return nil
}
