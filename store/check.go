package store

import (
	"context"
	"fmt"
)

// CheckReport counts what should never exist in a consistent database.
type CheckReport struct {
	EmptyTickets    int64 `json:"empty_tickets"`    // tickets without a message (half-written), but merged ones
	OrphanMessages  int64 `json:"orphan_messages"`  // messages whose ticket is missing
	OrphanOutbox    int64 `json:"orphan_outbox"`    // outbox rows whose ticket is missing
	MissingBlobs    int64 `json:"missing_blobs"`    // attachments whose content is missing
	IntegrityErrors int64 `json:"integrity_errors"` // rows of PRAGMA quick_check other than "ok"
}

// OK reports whether nothing is wrong.
func (r CheckReport) OK() bool { return r == CheckReport{} }

// Check verifies the database's integrity and postdesk's invariants.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	for _, c := range []struct {
		dst   *int64
		query string
	}{
		{&r.EmptyTickets, `SELECT COUNT(*) FROM tickets t WHERE t.merged_into IS NULL
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)`},
		{&r.OrphanMessages, `SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id)`},
		{&r.OrphanOutbox, `SELECT COUNT(*) FROM outbox o WHERE o.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = o.ticket_id)`},
		{&r.MissingBlobs, `SELECT COUNT(*) FROM attachments a WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = a.sha256)`},
		{&r.IntegrityErrors, `SELECT COUNT(*) FROM pragma_quick_check WHERE quick_check != 'ok'`},
	} {
		if err := s.r.QueryRowContext(ctx, c.query).Scan(c.dst); err != nil {
			return r, fmt.Errorf("check: %w", err)
		}
	}
	return r, nil
}
