package store

import (
	"context"
	"fmt"
	"strings"
)

// FolderCounts is how many tickets a property holds in each status (the
// web inbox's folders), keyed by status.
type FolderCounts map[string]int64

// CountFolders counts a property's tickets per status from ticket_counts,
// which triggers keep in step with every ticket (migration 0031): a read
// of a few rows however many tickets there are. assignee narrows the
// counts to one member's tickets (her address); unassigned to the tickets
// of nobody; neither counts them all.
func (s *Store) CountFolders(ctx context.Context, propertyID int64, assignee string, unassigned bool) (FolderCounts, error) {
	q := `SELECT status, CAST(SUM(n) AS BIGINT) FROM ticket_counts WHERE property_id = ? GROUP BY status`
	args := []any{propertyID}
	switch {
	case assignee != "":
		q = `SELECT c.status, c.n FROM ticket_counts c JOIN members m ON m.id = c.assignee_id
			WHERE c.property_id = ? AND m.property_id = c.property_id AND m.email = ?`
		args = append(args, strings.ToLower(strings.TrimSpace(assignee)))
	case unassigned:
		q = `SELECT status, n FROM ticket_counts WHERE property_id = ? AND assignee_id = 0`
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count folders: %w", err)
	}
	defer rows.Close()
	out := FolderCounts{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count folders: %w", err)
		}
		out[st] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count folders: %w", err)
	}
	return out, nil
}

// PropertyTags lists the distinct tags of a property's tickets, in order,
// at most limit of them. It skips from tag to tag along ticket_tags'
// primary key, so a tag on a hundred thousand tickets costs one step.
func (s *Store) PropertyTags(ctx context.Context, propertyID int64, limit int) ([]string, error) {
	rows, err := s.query(ctx, `WITH RECURSIVE t(tag) AS (
			SELECT MIN(tag) FROM ticket_tags WHERE property_id = ?1
			UNION ALL
			SELECT (SELECT MIN(tag) FROM ticket_tags WHERE property_id = ?1 AND tag > t.tag) FROM t WHERE t.tag IS NOT NULL
		) SELECT tag FROM t WHERE tag IS NOT NULL LIMIT ?2`, propertyID, limit)
	if err != nil {
		return nil, fmt.Errorf("property tags: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("property tags: %w", err)
		}
		out = append(out, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("property tags: %w", err)
	}
	return out, nil
}
