package store

import (
	"context"
	"slices"

	"chatserver/chat"
)

// Ignores returns the names the user called name ignores, in the order
// ignored.
func (m *Memory) Ignores(_ context.Context, name string) ([]chat.IgnoreRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.ignores[chat.Fold(name)]), nil
}

// SaveIgnore records that r.Name ignores r.Ignored, replacing a record of a
// name that folds the same.
func (m *Memory) SaveIgnore(_ context.Context, r chat.IgnoreRecord) error {
	key, ignored := chat.Fold(r.Name), chat.Fold(r.Ignored)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ignores == nil {
		m.ignores = map[string][]chat.IgnoreRecord{}
	}
	list := m.ignores[key]
	if i := slices.IndexFunc(list, func(o chat.IgnoreRecord) bool { return chat.Fold(o.Ignored) == ignored }); i >= 0 {
		list[i] = r
		return nil
	}
	m.ignores[key] = append(list, r)
	return nil
}

// DeleteIgnore removes the record that name ignores ignored.
func (m *Memory) DeleteIgnore(_ context.Context, name, ignored string) error {
	key, ignored := chat.Fold(name), chat.Fold(ignored)
	m.mu.Lock()
	defer m.mu.Unlock()
	list := slices.DeleteFunc(m.ignores[key], func(o chat.IgnoreRecord) bool { return chat.Fold(o.Ignored) == ignored })
	if len(list) == 0 {
		delete(m.ignores, key)
	} else {
		m.ignores[key] = list
	}
	return nil
}

// DeleteIgnores removes every name the user called name ignores.
func (m *Memory) DeleteIgnores(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ignores, chat.Fold(name))
	return nil
}
