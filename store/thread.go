package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// Kinds of thread identifier; see migrations/0002_threading.sql.
const (
	ThreadInbound  = "inbound"
	ThreadOutbound = "outbound"
	ThreadAlias    = "alias"
	ThreadRef      = "ref"
)

// TicketByID returns a ticket of the property by id.
func (tx *Tx) TicketByID(propertyID, ticketID int64) (ticket.Ticket, bool, error) {
	return tx.ticketWhere(`t.property_id = ? AND t.id = ?`, propertyID, ticketID)
}

// TicketByNumber returns a ticket of the property by number.
func (tx *Tx) TicketByNumber(propertyID, number int64) (ticket.Ticket, bool, error) {
	return tx.ticketWhere(`t.property_id = ? AND t.number = ?`, propertyID, number)
}

// LockThread makes this transaction the only one, among gateways sharing
// the database, deciding about mail of the property that carries any of
// ids (its Message-ID, In-Reply-To and References) until it ends: two
// replies to one parent arriving at two gateways at once, or one message
// arriving at both, are then threaded one after the other, the second
// seeing the first's ticket and message. See LockThreads. On SQLite it
// does nothing: the one writer runs deliveries one at a time.
func (tx *Tx) LockThread(propertyID int64, ids ...string) error {
	return tx.LockThreads([]int64{propertyID}, ids...)
}

// LockThreads is LockThread for mail to several properties at once: every
// identifier of every property is locked in one order (sorted, without
// duplicates) in one statement, so that two gateways delivering mail to
// the same properties, whatever the order of its recipients, wait for each
// other over these keys rather than deadlock (see lockKeys for the row
// locks that can still meet). A later LockThread of the same transaction
// on any of them returns at once (the transaction holds them).
func (tx *Tx) LockThreads(propertyIDs []int64, ids ...string) error {
	keys := make([]int64, 0, len(propertyIDs)*len(ids))
	for _, p := range propertyIDs {
		for _, id := range ids {
			if id == "" {
				continue
			}
			h := fnv.New64a()
			fmt.Fprintf(h, "thread\x00%d\x00%s", p, id)
			keys = append(keys, int64(h.Sum64()))
		}
	}
	slices.Sort(keys)
	if err := tx.s.dialect.lockKeys(tx, slices.Compact(keys)); err != nil {
		return fmt.Errorf("lock thread: %w", err)
	}
	return nil
}

// LockTicket makes this transaction the only one deciding about a ticket
// until it ends: on PostgreSQL it locks the ticket's row, waiting for
// another gateway's transaction that holds it, so that what the caller
// reads next (TicketByID) is the latest committed state and what it does
// is done once (the scheduler's work on several gateways). On SQLite the
// one writer already runs transactions one at a time. A ticket that does
// not exist is not an error: the read that follows finds it gone.
func (tx *Tx) LockTicket(propertyID, ticketID int64) error {
	rows, err := tx.query(`SELECT id FROM tickets WHERE property_id = ? AND id = ?`+tx.s.dialect.forUpdate(), propertyID, ticketID)
	if err != nil {
		return fmt.Errorf("lock ticket: %w", err)
	}
	return rows.Close()
}

func (tx *Tx) ticketWhere(where string, args ...any) (ticket.Ticket, bool, error) {
	t, err := scanTicket(tx.queryRow(`SELECT `+ticketColumns+ticketJoins+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("get ticket: %w", err)
	}
	return t, true, nil
}

// ThreadIDs returns which tickets carry each of ids (direct) and which
// tickets' messages referenced it (ghost), newest ticket first, keyed by
// the ids as asked: an id PostgreSQL stores otherwise (a NUL or invalid
// UTF-8 made U+FFFD) is read back in its stored form and found under the
// ids it stands for.
func (tx *Tx) ThreadIDs(propertyID int64, ids []string) (direct, ghost map[string][]int64, err error) {
	direct, ghost = map[string][]int64{}, map[string][]int64{}
	if len(ids) == 0 {
		return direct, ghost, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, propertyID)
	asked := map[string][]string{} // stored form → the ids asked
	for _, id := range ids {
		args = append(args, id)
		key := tx.s.dialect.stored(id)
		if !slices.Contains(asked[key], id) {
			asked[key] = append(asked[key], id)
		}
	}
	rows, err := tx.query(`SELECT msg_id, kind, ticket_id FROM thread_ids
		WHERE property_id = ? AND msg_id IN (`+placeholders(len(ids))+`) ORDER BY ticket_id DESC`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("thread lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind string
		var ticketID int64
		if err := rows.Scan(&id, &kind, &ticketID); err != nil {
			return nil, nil, fmt.Errorf("thread lookup: %w", err)
		}
		found := direct
		if kind == ThreadRef {
			found = ghost
		}
		for _, a := range asked[id] {
			found[a] = append(found[a], ticketID)
		}
	}
	return direct, ghost, rows.Err()
}

// AddThreadIDs records identifiers a ticket can be found by.
func (tx *Tx) AddThreadIDs(propertyID, ticketID int64, kind string, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		_, err := tx.exec(`INSERT INTO thread_ids (property_id, msg_id, kind, ticket_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (property_id, msg_id, kind, ticket_id) DO NOTHING`, propertyID, id, kind, ticketID)
		if err != nil {
			return fmt.Errorf("record thread id: %w", err)
		}
	}
	return nil
}

// IsParticipant reports whether any of emails is the ticket's requester, one
// of its Cc'd participants (or an alias of one: the address of a contact
// merged into it), or a member of the property.
func (tx *Tx) IsParticipant(propertyID, ticketID int64, emails []string) (bool, error) {
	if len(emails) == 0 {
		return false, nil
	}
	lower := make([]any, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	in := placeholders(len(emails))
	args := append(append([]any{ticketID}, lower...), ticketID, propertyID)
	args = append(append(args, lower...), propertyID)
	args = append(args, lower...)
	var one int
	err := tx.queryRow(`SELECT 1 FROM ticket_participants tp JOIN contacts c ON c.id = tp.contact_id
		WHERE tp.ticket_id = ? AND c.email IN (`+in+`)
		UNION ALL SELECT 1 FROM contacts c JOIN ticket_participants tp ON tp.ticket_id = ? AND tp.contact_id = c.merged_into
		WHERE c.property_id = ? AND c.email IN (`+in+`) AND c.merged_into IS NOT NULL
		UNION ALL SELECT 1 FROM members WHERE property_id = ? AND email IN (`+in+`) LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("participant check: %w", err)
	}
	return true, nil
}

// MemberByEmail returns the property's member with this address.
func (tx *Tx) MemberByEmail(propertyID int64, email string) (ticket.Member, bool, error) {
	return tx.memberWhere(`m.property_id = ? AND m.email = ?`, propertyID, strings.ToLower(email))
}

// EnsureSetting returns the instance setting name, storing gen() first if it
// has none. Used for secrets the gateway generates on first start.
func (s *Store) EnsureSetting(ctx context.Context, name string, gen func() (string, error)) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	nv, err := gen()
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, nv)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	err = s.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
