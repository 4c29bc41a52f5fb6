package store

import (
	"context"
	"slices"

	"chatserver/chat"
)

// SaveAudit appends r to the audit log.
func (m *Memory) SaveAudit(_ context.Context, r chat.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, r)
	return nil
}

// Audit returns the audit log, oldest first; the slice is the caller's.
func (m *Memory) Audit() []chat.AuditRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit)
}
