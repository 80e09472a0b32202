package store

import (
	"slices"
	"strings"
	"testing"
)

// TestThreadLookupsUseIndexes checks, with EXPLAIN QUERY PLAN, that every
// query of the delivery path searches an index and scans no table, so that
// deciding a thread costs the same with a million messages as with ten.
func TestThreadLookupsUseIndexes(t *testing.T) {
	st := openTest(t)
	queries := map[string]string{
		"thread ids":     `SELECT msg_id, kind, ticket_id FROM thread_ids WHERE property_id = 1 AND msg_id IN ('a', 'b') ORDER BY ticket_id DESC`,
		"retransmission": `SELECT m.id, t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.property_id = 1 AND m.message_id = 'x' AND m.content_hash = 'y' LIMIT 1`,
		"contact":        `SELECT id, name, created_at FROM contacts WHERE property_id = 1 AND email = 'a@b'`,
		"ticket by id":   `SELECT ` + ticketColumns + ticketJoins + ` WHERE t.property_id = 1 AND t.id = 2`,
		"ticket by no.":  `SELECT ` + ticketColumns + ticketJoins + ` WHERE t.property_id = 1 AND t.number = 2`,
		"participant": `SELECT 1 FROM ticket_participants tp JOIN contacts c ON c.id = tp.contact_id WHERE tp.ticket_id = 1 AND c.email IN ('a')
			UNION ALL SELECT 1 FROM contacts c JOIN ticket_participants tp ON tp.ticket_id = 1 AND tp.contact_id = c.merged_into
			WHERE c.property_id = 1 AND c.email IN ('a') AND c.merged_into IS NOT NULL
			UNION ALL SELECT 1 FROM members WHERE property_id = 1 AND email IN ('a') LIMIT 1`,
		"acks in the hour": `SELECT 1 FROM outbox WHERE property_id = 1 AND kind = 'ack' AND created_at >= 5 LIMIT 200`,
		"seen message ids": `SELECT id FROM (
			SELECT message_id AS id, created_at AS at, 0 AS seq, id AS rid FROM messages
				WHERE ticket_id = 5 AND direction = 'inbound' AND author_id = 3 AND synthetic_id = 0
			UNION ALL
			SELECT msg_id, created_at, 1, id FROM outbox
				WHERE ticket_id = 5 AND rcpt_kind = 'contact' AND rcpt_id = 3 AND id < 100 AND status != 'failed'
			ORDER BY at DESC, seq DESC, rid DESC LIMIT 12) AS seen
		ORDER BY at, seq, rid`,
		"acks to an address":  `SELECT 1 FROM outbox WHERE property_id = 1 AND kind = 'ack' AND rcpt_base = 'a@b' AND created_at >= 5 LIMIT 10`,
		"property by address": `SELECT id FROM properties WHERE id = (SELECT property_id FROM property_addresses WHERE address = 'a@b')`,
		"due deliveries":      `SELECT 1 FROM webhook_deliveries WHERE state = 'queued' AND next_attempt_at <= 5 LIMIT 1`,
	}
	for name, q := range queries {
		plan := queryPlan(t, st, name, q)
		for _, step := range tableScans(plan, "seen") {
			t.Errorf("%s scans a table: %s\n%s", name, step, strings.Join(plan, "\n"))
		}
		if name == "thread ids" && !strings.Contains(strings.Join(plan, " "), "thread_ids_lookup") {
			t.Errorf("thread lookup does not search thread_ids_lookup:\n%s", strings.Join(plan, "\n"))
		}
		if onPostgres() {
			continue // what follows are SQLite's words for its plans
		}
		if strings.Contains(strings.Join(plan, " "), "INTEGER PRIMARY KEY (rowid<") {
			t.Errorf("%s walks a table by rowid range:\n%s", name, strings.Join(plan, "\n"))
		}
		if (strings.HasPrefix(name, "acks") || name == "due deliveries") && !strings.Contains(strings.Join(plan, " "), "COVERING INDEX") {
			t.Errorf("%s is not index-only:\n%s", name, strings.Join(plan, "\n"))
		}
		if name == "thread ids" && !strings.Contains(strings.Join(plan, " "), "COVERING INDEX thread_ids_lookup") {
			t.Errorf("thread lookup is not index-only:\n%s", strings.Join(plan, "\n"))
		}
	}
}

// queryPlan returns the steps of the backend's plan for query q, for the
// tests that check a query searches an index: SQLite's EXPLAIN QUERY PLAN
// details, or the lines of PostgreSQL's EXPLAIN (COSTS OFF) with
// sequential scans, bitmap scans and sorts priced out (enable_seqscan,
// enable_bitmapscan, enable_sort off), since a test's few rows make reading
// a whole table and sorting it the cheapest plan: a "Seq Scan" or "Sort"
// left in it means no index can serve the query or give its order.
func queryPlan(t *testing.T, st *Store, name, q string, args ...any) []string {
	t.Helper()
	if st.dialect == postgres {
		return postgresPlan(t, st, name, q, args...)
	}
	rows, err := st.r.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return plan
}

// postgresPlan is queryPlan on PostgreSQL: the plan's nodes, one a line,
// without their indentation and arrows.
func postgresPlan(t *testing.T, st *Store, name, q string, args ...any) []string {
	t.Helper()
	tx, err := st.r.Begin()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer tx.Rollback()
	for _, off := range []string{"enable_seqscan", "enable_bitmapscan", "enable_sort"} {
		if _, err := tx.Exec(`SET LOCAL ` + off + ` = off`); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	rows, err := tx.Query("EXPLAIN (COSTS OFF) "+st.dialect.rebind(q), st.dialect.args(args)...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plan = append(plan, strings.TrimPrefix(strings.TrimSpace(line), "->  "))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return plan
}

// tableScans returns the steps of plan that read a whole table: on SQLite
// a SCAN of a table, not of a subquery (named in subqueries when it has an
// alias) nor of a constant row; on PostgreSQL a Seq Scan.
func tableScans(plan []string, subqueries ...string) []string {
	var out []string
	for _, step := range plan {
		name, sqliteScan := strings.CutPrefix(step, "SCAN ")
		name, _, _ = strings.Cut(name, " ")
		table := sqliteScan && !strings.HasPrefix(name, "(subquery") && name != "CONSTANT" && !slices.Contains(subqueries, name)
		if table || strings.HasPrefix(step, "Seq Scan") {
			out = append(out, step)
		}
	}
	return out
}

// sorts reports whether plan sorts rows rather than reading them in an
// index's order: SQLite's TEMP B-TREE, PostgreSQL's Sort node.
func sorts(plan []string) bool {
	for _, step := range plan {
		if strings.Contains(step, "TEMP B-TREE") || strings.HasPrefix(step, "Sort") || strings.HasPrefix(step, "Incremental Sort") {
			return true
		}
	}
	return false
}
