package store

import (
	"context"

	"chatserver/chat"
)

// SaveMute records mu, replacing the mute of the same name in the same room.
func (m *Memory) SaveMute(_ context.Context, mu chat.MuteRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mutes[[2]string{chat.Fold(mu.Room), chat.Fold(mu.Name)}] = mu
	return nil
}

// DeleteMute removes the mute of name in room.
func (m *Memory) DeleteMute(_ context.Context, room, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mutes, [2]string{chat.Fold(room), chat.Fold(name)})
	return nil
}
