package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// ErrBadFilter is returned by ListTickets for a filter, cursor or search
// it cannot run; the message says what is wrong in words for the person
// who typed it.
var ErrBadFilter = errors.New("bad filter")

// Sort orders a ticket list.
type Sort string

// The orders of a ticket list.
const (
	// SortActivity lists the most recently updated tickets first.
	SortActivity Sort = "activity"
	// SortDue lists the tickets due soonest first: the earlier of the
	// first-response due time (while no answer met it) and the resolution
	// due time. Tickets without a due time come last.
	SortDue Sort = "due"
	// SortPriority lists the most urgent tickets first, each priority's
	// newest tickets first (by id: an order that mail does not change, so
	// its indexes are not rewritten by every mail).
	SortPriority Sort = "priority"
)

// ParseSort validates s as a Sort; "" is SortActivity.
func ParseSort(s string) (Sort, error) {
	switch o := Sort(strings.ToLower(strings.TrimSpace(s))); o {
	case "":
		return SortActivity, nil
	case SortActivity, SortDue, SortPriority:
		return o, nil
	}
	return "", fmt.Errorf("unknown sort %q (want activity, due or priority): %w", s, ErrBadFilter)
}

// FolderAll is the folder of every ticket but deleted, spam and merged
// ones, the default of a list.
const FolderAll = "all"

// TicketFilter chooses and orders the tickets of one property. Zero fields
// do not filter; the filters given must all hold.
type TicketFilter struct {
	PropertyID int64
	// Folder is a status, or "" or FolderAll for every ticket that is
	// neither deleted nor spam nor merged into another.
	Folder     string
	Assignee   string // a member's address (the acting member's for "mine")
	Unassigned bool
	Department string // a department's name
	Priority   ticket.Priority
	Tag        string
	Topic      string // a topic's name
	// Overdue keeps the tickets the scheduler marked overdue that are not
	// closed.
	Overdue   bool
	Requester string // the requester's address
	// Search keeps tickets with a message whose subject, text, author's
	// name or address holds every word, or whose requester's name or
	// address does (see SearchQuery).
	Search string
	Sort   Sort
	// Limit caps the page (default 50, at most 500).
	Limit int
	// After is the cursor of the previous page (TicketPage.Next).
	After string
}

// TicketPage is one page of a list.
type TicketPage struct {
	Tickets []ticket.Ticket `json:"tickets"`
	// Next is the cursor of the following page; "" on the last page.
	Next string `json:"next"`
}

// Sort keys: what each order compares, in its order, ending with the
// ticket id so that ties page stably. dueKey and rankKey are the
// expressions of the indexes tickets_due and tickets_rank (migration
// 0022); SQLite uses an expression index only for the same expression.
const (
	dueKey = `(CASE WHEN first_response_at = 0 AND first_response_due > 0
            AND (resolution_due = 0 OR first_response_due < resolution_due) THEN first_response_due
          WHEN resolution_due > 0 THEN resolution_due
          ELSE 9223372036854775807 END)`
	rankKey = `(CASE priority WHEN 'highest' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
          WHEN 'low' THEN 2 WHEN 'lowest' THEN 1 ELSE 0 END)`
)

// DueTime is when t is due, by the rule of dueKey: the first-response due
// time while no answer met it, or the resolution due time, whichever is
// earlier; zero when neither is set.
func DueTime(t ticket.Ticket) time.Time {
	fr, res := t.FirstResponseDue, t.ResolutionDue
	if t.FirstResponseAt.IsZero() && !fr.IsZero() && (res.IsZero() || fr.Before(res)) {
		return fr
	}
	return res
}

// order is a sort's keys and direction; a cursor's first key is at most
// firstMax, when that is not zero, and not negative.
type order struct {
	keys     []string
	desc     bool
	firstMax int64
}

// maxRank is rankKey's highest value. PostgreSQL types the rank (and a
// cursor's rank compared with it) as a 32-bit integer: a larger one in a
// cursor could not be sent.
const maxRank = 5

var orders = map[Sort]order{
	SortActivity: {keys: []string{"t.updated_at", "t.id"}, desc: true},
	SortDue:      {keys: []string{dueKey, "t.id"}},
	SortPriority: {keys: []string{rankKey, "t.id"}, desc: true, firstMax: maxRank},
}

// ListTickets returns one page of a property's tickets chosen by f, in f's
// order, paged by keyset (the cursor holds the last ticket's sort keys), so
// a page costs the same at the millionth ticket as at the first, and no
// ticket is listed twice in one walk (one that becomes active meanwhile
// moves above the pages already read). How each filter uses the indexes
// of migration 0022: see sortLimit.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) (TicketPage, error) {
	if f.Sort == "" {
		f.Sort = SortActivity
	}
	q, args, err := s.listQuery(ctx, f)
	if err != nil {
		return TicketPage{}, err
	}
	rows, err := s.queryOnce(ctx, q, args...)
	if err != nil {
		return TicketPage{}, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	o, limit := orders[f.Sort], listLimit(f.Limit)
	var page TicketPage
	var last []int64
	for rows.Next() {
		keys := make([]int64, len(o.keys))
		t, err := scanTicket(withKeys{rows, keys})
		if err != nil {
			return TicketPage{}, fmt.Errorf("list tickets: %w", err)
		}
		if len(page.Tickets) == limit {
			page.Next = encodeCursor(f.Sort, last)
			break
		}
		page.Tickets, last = append(page.Tickets, t), keys
	}
	if err := rows.Err(); err != nil {
		return TicketPage{}, fmt.Errorf("list tickets: %w", err)
	}
	return page, nil
}

// withKeys scans a ticket row followed by its sort keys.
type withKeys struct {
	r    scanner
	keys []int64
}

func (w withKeys) Scan(dest ...any) error {
	for i := range w.keys {
		dest = append(dest, &w.keys[i])
	}
	return w.r.Scan(dest...)
}

func listLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// listQuery builds the SQL of f: the filters, the keyset condition of the
// cursor, the order and one row more than the page (to know if another
// page follows).
func (s *Store) listQuery(ctx context.Context, f TicketFilter) (string, []any, error) {
	o, ok := orders[f.Sort]
	if !ok {
		return "", nil, fmt.Errorf("unknown sort %q: %w", f.Sort, ErrBadFilter)
	}
	where, args, sorted, err := s.filterTerms(ctx, f)
	if err != nil {
		return "", nil, err
	}
	if f.After != "" {
		keys, err := decodeCursor(f.Sort, f.After)
		if err != nil {
			return "", nil, err
		}
		cmp := ">"
		if o.desc {
			cmp = "<"
		}
		where = append(where, "("+strings.Join(o.keys, ", ")+") "+cmp+" ("+strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")+")")
		for _, k := range keys {
			args = append(args, k)
		}
	}
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	by := slices.Clone(o.keys)
	if f.Priority != "" && f.Sort == SortPriority {
		by = by[1:] // one rank: SQLite does not see that its expression is constant, and would sort
	}
	if sorted {
		by[0] = s.dialect.unindexed(by[0]) // keeps SQLite from walking the order's index
	}
	// The page is chosen on the tickets table alone, then joined: a list
	// that sorts its filter's tickets sorts ids and keys, not whole rows
	// with their requester, assignee, department and topic.
	keys, outer := make([]string, len(o.keys)), make([]string, len(o.keys))
	for i, k := range o.keys {
		keys[i], outer[i] = fmt.Sprintf("%s AS k%d", k, i), fmt.Sprintf("k.k%d", i)
	}
	page := `SELECT t.id AS kid, ` + strings.Join(keys, ", ") + ` FROM tickets t WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + strings.Join(by, dir+", ") + dir + ` LIMIT ?`
	q := `SELECT ` + ticketColumns + `, ` + strings.Join(outer, ", ") +
		strings.Replace(ticketJoins, " FROM tickets t", " FROM ("+page+") k JOIN tickets t ON t.id = k.kid", 1) +
		` ORDER BY ` + strings.Join(outer, dir+", ") + dir
	return q, append(args, listLimit(f.Limit)+1), nil
}

// A list's narrow filters (assignee, department, topic, requester, tag,
// overdue) keep a set of a property's tickets that has its own index. How
// a list runs depends on their sizes, which SQLite, without statistics,
// does not know:
//
//   - the smallest filter under sortLimit tickets reads its tickets, and
//     they are sorted (a search, at most SearchWindow messages' tickets,
//     always does this); in activity order, the overdue filter's index is
//     in that order and needs no sort;
//   - otherwise every filter is large (or there is none), and the list
//     walks its order's index testing each ticket: a large set's tickets
//     come early.
//
// The filters that must not lead are written with a unary + (+t.col),
// which keeps SQLite from using their index (dialect.unindexed).
// PostgreSQL keeps statistics and chooses by itself: there the terms are
// the same without the +, and the same tickets come in the same order.
const sortLimit = 2000

// narrow is one narrow filter.
type narrow struct {
	term       string // the term, with %s where a + may go (dialect.unindexed)
	args       []any
	count      string // counts its tickets, up to sortLimit
	countArgs  []any
	ordered    bool // its index is in activity order
	byProperty bool // its index begins with the property
}

func (n narrow) where(d dialect, lead bool) string {
	if lead {
		return fmt.Sprintf(n.term, "")
	}
	return fmt.Sprintf(n.term, d.unindexed(""))
}

// filterTerms turns f's filters into WHERE terms, and tells whether the
// list sorts the tickets its filters find (rather than walking its
// order's index). A name is resolved to its row's id first: an unknown
// name is an error, not an empty list.
func (s *Store) filterTerms(ctx context.Context, f TicketFilter) ([]string, []any, bool, error) {
	var where []string
	var args []any
	add := func(term string, a ...any) { where, args = append(where, term), append(args, a...) }
	// Wide filters (folder, unassigned, priority) are tested on the walk of
	// the order's index (written with +: the index of statuses would
	// otherwise read a whole folder and sort it); a priority list of one
	// priority reads its part of tickets_rank.
	switch f.Folder {
	case "", FolderAll: // a merged ticket's conversation goes on in its target
		add("t.status NOT IN ('deleted', 'spam') AND t.merged_into IS NULL")
	default:
		st, err := ticket.ParseStatus(f.Folder)
		if err != nil {
			return nil, nil, false, fmt.Errorf("folder: %w: %w", err, ErrBadFilter)
		}
		add(s.dialect.unindexed("t.status")+" = ?", string(st))
	}
	if f.Unassigned {
		add(s.dialect.unindexed("t.assignee_id") + " IS NULL")
	}
	if f.Priority != "" && f.Sort == SortPriority {
		add(rankKey+" = ?", f.Priority.Rank())
	} else if f.Priority != "" {
		add(s.dialect.unindexed("t.priority")+" = ?", string(f.Priority))
	}
	narrows, err := s.narrowFilters(ctx, f)
	if err != nil {
		return nil, nil, false, err
	}
	lead, sorted, err := s.leader(ctx, f, narrows)
	if err != nil {
		return nil, nil, false, err
	}
	prop := "t.property_id = ?"
	if lead >= 0 && !(narrows[lead].byProperty && !sorted) || f.Search != "" {
		prop = s.dialect.unindexed("t.property_id") + " = ?"
	}
	where, args = append([]string{prop}, where...), append([]any{f.PropertyID}, args...)
	for i, n := range narrows {
		add(n.where(s.dialect, i == lead), n.args...)
	}
	if f.Search != "" {
		q, err := parseSearch(f.Search)
		if err != nil {
			return nil, nil, false, err
		}
		term, a := s.dialect.searchTerm(q, f.PropertyID)
		add(term, a...)
		sorted = true
	}
	return where, args, sorted, nil
}

// leader chooses the narrow filter whose index finds the list's tickets
// (-1: none) and tells whether they are then sorted (see sortLimit). Its
// choice only places SQLite's hints: PostgreSQL, which takes none, is
// spared the counts.
func (s *Store) leader(ctx context.Context, f TicketFilter, narrows []narrow) (int, bool, error) {
	if f.Search != "" || len(narrows) == 0 || !s.dialect.takesIndexHints() {
		return -1, f.Search != "", nil
	}
	if f.Sort == SortActivity {
		for i, n := range narrows {
			if n.ordered {
				return i, false, nil
			}
		}
	}
	lead, least := -1, sortLimit
	for i, n := range narrows {
		var c int
		if err := s.queryRow(ctx, n.count, n.countArgs...).Scan(&c); err != nil {
			return 0, false, fmt.Errorf("list tickets: count: %w", err)
		}
		if c < least {
			lead, least = i, c
		}
	}
	return lead, lead >= 0, nil
}

// narrowFilters resolves f's narrow filters.
func (s *Store) narrowFilters(ctx context.Context, f TicketFilter) ([]narrow, error) {
	var out []narrow
	ids := []struct {
		name, value, query, col string
	}{
		{"assignee", strings.ToLower(f.Assignee), `SELECT id FROM members WHERE property_id = ? AND email = ?`, "assignee_id"},
		{"department", f.Department, `SELECT id FROM departments WHERE property_id = ? AND name = ?`, "department_id"},
		{"topic", f.Topic, `SELECT id FROM topics WHERE property_id = ? AND name = ?`, "topic_id"},
		{"requester", strings.ToLower(f.Requester), `SELECT id FROM contacts WHERE property_id = ? AND email = ?`, "requester_id"},
	}
	for _, l := range ids {
		if l.value == "" {
			continue
		}
		var id int64
		err := s.queryRow(ctx, l.query, f.PropertyID, strings.TrimSpace(l.value)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%s %q: %w", l.name, l.value, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("list tickets: %s: %w", l.name, err)
		}
		out = append(out, narrow{term: "%st." + l.col + " = ?", args: []any{id}, countArgs: []any{id},
			count: fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE %s = ? LIMIT %d) AS n`, l.col, sortLimit)})
	}
	if f.Tag != "" {
		out = append(out, narrow{term: "%st.id IN (SELECT ticket_id FROM ticket_tags WHERE property_id = ? AND tag = ?)",
			args: []any{f.PropertyID, normTag(f.Tag)}, countArgs: []any{f.PropertyID, normTag(f.Tag)},
			count: fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM ticket_tags WHERE property_id = ? AND tag = ? LIMIT %d) AS n`, sortLimit)})
	}
	if f.Overdue { // its partial index, tickets_overdue, is the property's overdue tickets in activity order
		out = append(out, narrow{term: "%st.overdue_at > 0 AND t.status != 'closed'", ordered: true, byProperty: true,
			countArgs: []any{f.PropertyID}, count: fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM tickets%s
				WHERE property_id = ? AND overdue_at > 0 AND status != 'closed' LIMIT %d) AS n`, s.dialect.indexedBy("tickets_overdue"), sortLimit)})
	}
	return out, nil
}

// normTag is how a tag is compared: as the desk stores it, lower case.
func normTag(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// encodeCursor writes a page's last sort keys as an opaque token that
// names its order, so a cursor of one order is refused by another.
func encodeCursor(o Sort, keys []int64) string {
	parts := []string{string(o)}
	for _, k := range keys {
		parts = append(parts, strconv.FormatInt(k, 10))
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ":")))
}

func decodeCursor(o Sort, c string) ([]int64, error) {
	bad := fmt.Errorf("cursor %q is not one a %s list gave: %w", c, o, ErrBadFilter)
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(c))
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != len(orders[o].keys)+1 || parts[0] != string(o) {
		return nil, bad
	}
	keys := make([]int64, len(parts)-1)
	for i, p := range parts[1:] {
		if keys[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, bad
		}
	}
	if m := orders[o].firstMax; m > 0 && (keys[0] < 0 || keys[0] > m) {
		return nil, bad
	}
	return keys, nil
}

// FilledTicket is the desk state the load tool gives a ticket it fills,
// all at once where the desk's operations set it one field at a time.
type FilledTicket struct {
	Status                                                    ticket.Status
	Priority                                                  ticket.Priority
	AssigneeID, DepartmentID, TopicID                         int64
	FirstResponseDue, ResolutionDue, FirstResponseAt, Overdue int64 // unix ms; 0: none
}

// FillTicket writes f to a ticket's row, for `postdesk-load fill` (a
// million-message store with realistic lists); the desk never calls it.
func (tx *Tx) FillTicket(ticketID int64, f FilledTicket) error {
	return tx.updateTicket("fill ticket", ticketID, `status = ?, priority = ?, assignee_id = ?, department_id = ?,
		topic_id = ?, first_response_due = ?, resolution_due = ?, first_response_at = ?, overdue_at = ?`,
		string(f.Status), string(f.Priority), nullID(f.AssigneeID), nullID(f.DepartmentID), nullID(f.TopicID),
		f.FirstResponseDue, f.ResolutionDue, f.FirstResponseAt, f.Overdue)
}

// FillTopic adds a topic to a property unless it has one of that name, and
// returns its id, for `postdesk-load fill`.
func (tx *Tx) FillTopic(propertyID int64, name string) (int64, error) {
	var id int64
	err := tx.queryRow(`INSERT INTO topics (property_id, name, created_at) VALUES (?, ?, ?)
		ON CONFLICT (property_id, name) DO UPDATE SET name = excluded.name RETURNING id`, propertyID, name, ms(tx.Now())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add topic: %w", err)
	}
	return id, nil
}
