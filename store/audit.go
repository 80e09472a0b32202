package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one change made to a property outside its tickets.
type AuditEntry struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"property_id"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Detail     string    `json:"detail"`
	CreatedAt  time.Time `json:"created_at"`
}

// Audit records a change to a property: who, what, and its detail.
func (tx *Tx) Audit(propertyID int64, actor, action, detail string) error {
	_, err := tx.exec(`INSERT INTO audit (property_id, actor, action, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
		propertyID, actor, action, detail, ms(tx.Now()))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns a property's newest audit entries, newest first, at
// most limit.
func (s *Store) AuditLog(ctx context.Context, propertyID int64, limit int) ([]AuditEntry, error) {
	rows, err := s.query(ctx, `SELECT id, property_id, actor, action, detail, created_at FROM audit
		WHERE property_id = ? ORDER BY id DESC LIMIT ?`, propertyID, limit)
	return collect("audit log", rows, err, func(r scanner) (AuditEntry, error) {
		var a AuditEntry
		var created int64
		err := r.Scan(&a.ID, &a.PropertyID, &a.Actor, &a.Action, &a.Detail, &created)
		a.CreatedAt = fromMS(created)
		return a, err
	})
}
