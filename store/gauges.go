package store

import (
	"context"
	"fmt"
	"time"
)

// Gauges are facts of the database that metrics report as they stand: the
// outbox's depth and age, held mail waiting and suppressed addresses. Each
// is read through an index, so reading them costs little whatever the
// size of the history.
type Gauges struct {
	OutboxDue      int64         // queued rows whose next attempt is due
	OutboxDeferred int64         // queued rows waiting to be retried later
	OutboxFailed   int64         // rows that failed for good
	OldestQueued   time.Duration // age of the oldest queued row; 0 if none
	HeldWaiting    int64         // held mail neither released nor discarded
	Suppressions   int64         // addresses no mail goes to
	HooksQueued    int64         // webhook deliveries waiting to be sent
}

// ReadGauges reads the gauges as of now. The outbox counts range over the
// outbox_due index (status, next_attempt); the oldest queued row is found
// by its id in the same index (rows are numbered as they are queued);
// held mail is counted in the held_waiting partial index.
func (s *Store) ReadGauges(ctx context.Context, now time.Time) (Gauges, error) {
	var g Gauges
	var oldest int64
	err := s.queryRow(ctx, gaugesQuery, ms(now)).
		Scan(&g.OutboxDue, &g.OutboxDeferred, &g.OutboxFailed, &oldest, &g.HeldWaiting, &g.Suppressions, &g.HooksQueued)
	if err != nil {
		return Gauges{}, fmt.Errorf("read gauges: %w", err)
	}
	if oldest > 0 {
		g.OldestQueued = max(now.Sub(fromMS(oldest)), 0)
	}
	return g, nil
}

// gaugesQuery reads every gauge in one statement; ?1 is now.
const gaugesQuery = `SELECT
		(SELECT count(*) FROM outbox WHERE status = 'queued' AND next_attempt <= ?1),
		(SELECT count(*) FROM outbox WHERE status = 'queued' AND next_attempt > ?1),
		(SELECT count(*) FROM outbox WHERE status = 'failed'),
		coalesce((SELECT created_at FROM outbox WHERE id = (SELECT min(id) FROM outbox WHERE status = 'queued')), 0),
		(SELECT count(*) FROM held WHERE status = 'held'),
		(SELECT count(*) FROM suppressions),
		(SELECT count(*) FROM webhook_deliveries WHERE state = 'queued')`
