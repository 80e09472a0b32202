package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"strings"
)

const bounceColumns = `id, property_id, COALESCE(outbox_id, 0), COALESCE(ticket_id, 0), recipient, action,
	status, diagnostic, kind, verified, raw_sha256, created_at`

func scanBounce(r scanner) (ticket.Bounce, error) {
	var b ticket.Bounce
	var created int64
	err := r.Scan(&b.ID, &b.PropertyID, &b.OutboxID, &b.TicketID, &b.Recipient, &b.Action, &b.Status,
		&b.Diagnostic, &b.Kind, &b.Verified, &b.RawSHA256, &created)
	b.CreatedAt = fromMS(created)
	return b, err
}

// RecordBounce stores a bounce. Its raw bytes must be stored with PutBlob.
func (tx *Tx) RecordBounce(b *ticket.Bounce) error {
	err := tx.queryRow(`INSERT INTO bounces (property_id, outbox_id, ticket_id, recipient, action, status,
		diagnostic, kind, verified, raw_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		b.PropertyID, nullID(b.OutboxID), nullID(b.TicketID), strings.ToLower(b.Recipient), b.Action, b.Status,
		b.Diagnostic, b.Kind, b.Verified, b.RawSHA256, ms(tx.Now())).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("record bounce: %w", err)
	}
	return nil
}

// Bounces lists the bounces recorded on a ticket, oldest first.
func (s *Store) Bounces(ctx context.Context, ticketID int64) ([]ticket.Bounce, error) {
	rows, err := s.query(ctx, `SELECT `+bounceColumns+` FROM bounces WHERE ticket_id = ? ORDER BY id`, ticketID)
	return collect("list bounces", rows, err, scanBounce)
}

// PropertyBounces lists every bounce a property received, newest first,
// those linked to no ticket included.
func (s *Store) PropertyBounces(ctx context.Context, propertyID int64) ([]ticket.Bounce, error) {
	rows, err := s.query(ctx, `SELECT `+bounceColumns+` FROM bounces WHERE property_id = ? ORDER BY id DESC`, propertyID)
	return collect("list bounces", rows, err, scanBounce)
}

// Suppressed reports whether mail to addr is suppressed in the property.
func (tx *Tx) Suppressed(propertyID int64, addr string) (bool, error) {
	found, err := tx.exists(`SELECT 1 FROM suppressions WHERE property_id = ? AND address = ?`, propertyID, strings.ToLower(addr))
	if err != nil {
		return false, fmt.Errorf("suppressed: %w", err)
	}
	return found, nil
}

// Suppress stops mail to s.Address in its property until cleared: mail
// queued to it already is failed too, each with an event on its ticket,
// since "no more mail" includes mail waiting for a retry. A row being sent
// right now may still go; its late MarkSent then changes nothing. Suppress
// reports whether the address was not suppressed before.
func (tx *Tx) Suppress(s ticket.Suppression) (bool, error) {
	addr := strings.ToLower(s.Address)
	res, err := tx.exec(`INSERT INTO suppressions (property_id, address, reason, ticket_id, bounce_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, address) DO NOTHING`,
		s.PropertyID, addr, s.Reason, nullID(s.TicketID), nullID(s.BounceID), ms(tx.Now()))
	if err != nil {
		return false, fmt.Errorf("suppress: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("suppress: %w", err)
	}
	return n == 1, tx.failQueuedTo(s.PropertyID, addr, s.Reason)
}

// failQueuedTo fails the property's queued rows to a suppressed address.
func (tx *Tx) failQueuedTo(propertyID int64, addr, reason string) error {
	rows, err := tx.query(`UPDATE outbox SET status = ?, last_error = ? WHERE property_id = ? AND rcpt = ? AND status = ?
		RETURNING COALESCE(ticket_id, 0)`, ticket.OutFailed, "not sent: "+addr+" is suppressed ("+reason+")", propertyID, addr, ticket.OutQueued)
	tickets, err := collect("fail queued mail", rows, err, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	seen := map[int64]bool{0: true}
	for _, id := range tickets {
		if !seen[id] {
			seen[id] = true
			if err := tx.AddEvent(id, "suppressed", addr, "not sent: the address bounced permanently"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Suppressions lists a property's suppressed addresses, newest first.
func (s *Store) Suppressions(ctx context.Context, propertyID int64) ([]ticket.Suppression, error) {
	rows, err := s.query(ctx, `SELECT property_id, address, reason, COALESCE(ticket_id, 0), COALESCE(bounce_id, 0),
		created_at FROM suppressions WHERE property_id = ? ORDER BY created_at DESC, address`, propertyID)
	return collect("list suppressions", rows, err, func(r scanner) (ticket.Suppression, error) {
		var sp ticket.Suppression
		var created int64
		err := r.Scan(&sp.PropertyID, &sp.Address, &sp.Reason, &sp.TicketID, &sp.BounceID, &created)
		sp.CreatedAt = fromMS(created)
		return sp, err
	})
}

// ErrNotSuppressed: the address to clear is not suppressed.
var ErrNotSuppressed = errors.New("address is not suppressed")

// ClearSuppression lets mail go to addr again, and logs that on the ticket
// whose bounce suppressed it. actor names who cleared it.
func (s *Store) ClearSuppression(ctx context.Context, propertyID int64, addr, actor string) error {
	addr = strings.ToLower(strings.TrimSpace(addr))
	return s.Update(ctx, func(tx *Tx) error {
		var ticketID int64
		err := tx.queryRow(`DELETE FROM suppressions WHERE property_id = ? AND address = ? RETURNING COALESCE(ticket_id, 0)`,
			propertyID, addr).Scan(&ticketID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("clear suppression of %s: %w", addr, ErrNotSuppressed)
		}
		if err != nil {
			return fmt.Errorf("clear suppression: %w", err)
		}
		if ticketID == 0 {
			return nil
		}
		return tx.AddEvent(ticketID, "suppression-cleared", actor, "mail goes to "+addr+" again")
	})
}
