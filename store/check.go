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
	IntegrityErrors int64 `json:"integrity_errors"` // what the database finds broken (dialect.integrityCheck: SQLite's quick_check, PostgreSQL's invalid indexes)
	CrossProperty   int64 `json:"cross_property"`   // ties to another property's member, department, topic, contact or ticket
	MergeLoops      int64 `json:"merge_loops"`      // tickets whose chain of merges comes back to them
	StaleTagIndex   int64 `json:"stale_tag_index"`  // ticket_tags rows that disagree with the tickets' tags
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
		{&r.IntegrityErrors, s.dialect.integrityCheck()},
		{&r.CrossProperty, checkCrossProperty},
		{&r.MergeLoops, checkMergeLoops},
		{&r.StaleTagIndex, checkTagIndex(s.dialect)},
	} {
		if err := s.queryRow(ctx, c.query).Scan(c.dst); err != nil {
			return r, fmt.Errorf("check: %w", err)
		}
	}
	return r, nil
}

// checkCrossProperty counts rows that tie a property's ticket to another
// property: its assignee, department, topic, requester or merge target, or
// a message filed in it. Each would show one property's data in another's
// lists and mail.
const checkCrossProperty = `SELECT
	(SELECT COUNT(*) FROM tickets t JOIN members x ON x.id = t.assignee_id WHERE x.property_id != t.property_id) +
	(SELECT COUNT(*) FROM tickets t JOIN departments x ON x.id = t.department_id WHERE x.property_id != t.property_id) +
	(SELECT COUNT(*) FROM tickets t JOIN topics x ON x.id = t.topic_id WHERE x.property_id != t.property_id) +
	(SELECT COUNT(*) FROM tickets t JOIN contacts x ON x.id = t.requester_id WHERE x.property_id != t.property_id) +
	(SELECT COUNT(*) FROM tickets t JOIN tickets x ON x.id = t.merged_into WHERE x.property_id != t.property_id) +
	(SELECT COUNT(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.property_id != t.property_id)`

// checkMergeLoops counts merged tickets whose chain of merges comes back to
// them (threading would follow it forever); it walks at most 1,000 steps.
const checkMergeLoops = `WITH RECURSIVE walk(start, cur, n) AS (
	SELECT id, merged_into, 1 FROM tickets WHERE merged_into IS NOT NULL
	UNION ALL
	SELECT w.start, t.merged_into, w.n + 1 FROM walk w JOIN tickets t ON t.id = w.cur
	WHERE t.merged_into IS NOT NULL AND w.cur != w.start AND w.n < 1000
)
SELECT COUNT(DISTINCT start) FROM walk WHERE cur = start`

// checkTagIndex counts the differences between ticket_tags, which the tag
// filter reads, and the tags the tickets hold (newline-separated, split as
// migration 0022's backfill does).
func checkTagIndex(d dialect) string {
	const newline = "'\n'" // a string literal holding a newline, in both dialects (no char(10) or chr(10))
	pos := d.strpos() + "(rest, " + newline + ")"
	return `WITH RECURSIVE split(ticket_id, property_id, tag, rest) AS (
	SELECT id, property_id, '', tags || ` + newline + ` FROM tickets WHERE tags != ''
	UNION ALL
	SELECT ticket_id, property_id, substr(rest, 1, ` + pos + ` - 1), substr(rest, ` + pos + ` + 1)
	FROM split WHERE rest != ''
), held(property_id, tag, ticket_id) AS (SELECT property_id, tag, ticket_id FROM split WHERE tag != '')
SELECT
	(SELECT COUNT(*) FROM (SELECT * FROM held EXCEPT SELECT property_id, tag, ticket_id FROM ticket_tags) AS missing) +
	(SELECT COUNT(*) FROM (SELECT property_id, tag, ticket_id FROM ticket_tags EXCEPT SELECT * FROM held) AS stale)`
}
