package store

import (
	"context"
	"maps"
	"slices"

	"chatserver/chat"
)

// Passwords returns every name's password record.
func (m *Memory) Passwords(context.Context) ([]chat.PasswordRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Collect(maps.Values(m.passwords)), nil
}

// SavePassword records r, replacing the record of a name that folds the same.
func (m *Memory) SavePassword(_ context.Context, r chat.PasswordRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.passwords == nil {
		m.passwords = map[string]chat.PasswordRecord{}
	}
	m.passwords[chat.Fold(r.Name)] = r
	return nil
}
