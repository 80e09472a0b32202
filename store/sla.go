package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/sla"
)

// The rows of service-level targets: each property's policy, each
// ticket's clocks, the alerts sent, and the scheduler's searches. What
// they mean (when a clock runs, what is overdue) is the desk's.

// SetSLAPolicy stores a property's policy, replacing the one it had.
func (tx *Tx) SetSLAPolicy(propertyID int64, p sla.Policy, by string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("set SLA policy: %w", err)
	}
	_, err = tx.exec(`INSERT INTO sla_policies (property_id, policy, updated_by, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (property_id) DO UPDATE SET policy = excluded.policy, updated_by = excluded.updated_by,
		updated_at = excluded.updated_at`, propertyID, string(b), by, ms(tx.Now()))
	if err != nil {
		return fmt.Errorf("set SLA policy: %w", err)
	}
	return nil
}

// SLAPolicy returns a property's policy; found is false when it has none.
func (tx *Tx) SLAPolicy(propertyID int64) (p sla.Policy, found bool, err error) {
	return scanPolicy(tx.queryRow(policyQuery, propertyID))
}

// SLAPolicy returns a property's policy; found is false when it has none.
func (s *Store) SLAPolicy(ctx context.Context, propertyID int64) (p sla.Policy, found bool, err error) {
	return scanPolicy(s.queryRow(ctx, policyQuery, propertyID))
}

const policyQuery = `SELECT policy FROM sla_policies WHERE property_id = ?`

func scanPolicy(r scanner) (sla.Policy, bool, error) {
	var p sla.Policy
	var text string
	err := r.Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(text), &p)
	}
	if err != nil {
		return p, false, fmt.Errorf("get SLA policy: %w", err)
	}
	return p, true, nil
}

// SLAClock is the state of a ticket's clocks.
type SLAClock struct {
	TicketID   int64
	PropertyID int64
	// RunningSince is when the clocks last started; zero while they are
	// stopped.
	RunningSince time.Time
	// Used is the counted time used before RunningSince.
	Used time.Duration
	// When the team is warned of each target (zero: not).
	FirstResponseWarn time.Time
	ResolutionWarn    time.Time
	// Next is the next moment the scheduler looks at the ticket (zero:
	// none).
	Next time.Time
}

// SLAClock returns a ticket's clocks; found is false when it has none.
func (tx *Tx) SLAClock(ticketID int64) (c SLAClock, found bool, err error) {
	var since, used, frWarn, resWarn, next int64
	err = tx.queryRow(`SELECT ticket_id, property_id, running_since, used_ms, first_response_warn, resolution_warn, next_at
		FROM sla_clocks WHERE ticket_id = ?`, ticketID).Scan(&c.TicketID, &c.PropertyID, &since, &used, &frWarn, &resWarn, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("get SLA clock: %w", err)
	}
	c.RunningSince, c.Used = fromMS(since), time.Duration(used)*time.Millisecond
	c.FirstResponseWarn, c.ResolutionWarn, c.Next = fromMS(frWarn), fromMS(resWarn), fromMS(next)
	return c, true, nil
}

// SetSLAClock writes a ticket's clocks.
func (tx *Tx) SetSLAClock(c SLAClock) error {
	_, err := tx.exec(`INSERT INTO sla_clocks (ticket_id, property_id, running_since, used_ms, first_response_warn,
		resolution_warn, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ticket_id) DO UPDATE SET running_since = excluded.running_since, used_ms = excluded.used_ms,
		first_response_warn = excluded.first_response_warn, resolution_warn = excluded.resolution_warn,
		next_at = excluded.next_at`, c.TicketID, c.PropertyID, ms(c.RunningSince), c.Used.Milliseconds(),
		ms(c.FirstResponseWarn), ms(c.ResolutionWarn), ms(c.Next))
	if err != nil {
		return fmt.Errorf("set SLA clock: %w", err)
	}
	return nil
}

// SetDueTimes sets when a ticket's first answer and resolution are due
// (zero: no target).
func (tx *Tx) SetDueTimes(ticketID int64, firstResponse, resolution time.Time) error {
	return tx.updateTicket("set due times", ticketID, `first_response_due = ?, resolution_due = ?`, ms(firstResponse), ms(resolution))
}

// SetFirstResponseAt records when a ticket's first answer went out.
func (tx *Tx) SetFirstResponseAt(ticketID int64, at time.Time) error {
	return tx.updateTicket("set first response", ticketID, `first_response_at = ?`, ms(at))
}

// SetOverdue records when a ticket was found overdue (zero: it is not).
func (tx *Tx) SetOverdue(ticketID int64, at time.Time) error {
	return tx.updateTicket("set overdue", ticketID, `overdue_at = ?`, ms(at))
}

// ClaimAlert records that the alert of this kind for a ticket's due time
// is sent, and reports whether it was not already: the caller sends it
// only then, in the same transaction.
func (tx *Tx) ClaimAlert(ticketID int64, kind string, due time.Time) (bool, error) {
	res, err := tx.exec(`INSERT INTO sla_alerts (ticket_id, kind, due, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, ticketID, kind, ms(due), ms(tx.Now()))
	if err != nil {
		return false, fmt.Errorf("claim SLA alert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim SLA alert: %w", err)
	}
	return n == 1, nil
}

// AlertSent reports whether the alert of this kind for a ticket's due time
// was sent.
func (tx *Tx) AlertSent(ticketID int64, kind string, due time.Time) (bool, error) {
	return tx.exists(`SELECT 1 FROM sla_alerts WHERE ticket_id = ? AND kind = ? AND due = ?`, ticketID, kind, ms(due))
}

// DueTicket is a ticket the scheduler has work on: its id, its property
// and the moment the work fell due.
type DueTicket struct {
	TicketID   int64
	PropertyID int64
	At         time.Time
}

// SnoozedDue lists up to limit snoozed tickets whose wake time is not
// after now, the longest waiting first.
func (s *Store) SnoozedDue(ctx context.Context, now time.Time, limit int) ([]DueTicket, error) {
	rows, err := s.query(ctx, `SELECT id, property_id, snoozed_until FROM tickets
		WHERE status = 'snoozed' AND snoozed_until > 0 AND snoozed_until <= ? ORDER BY snoozed_until LIMIT ?`, ms(now), limit)
	return collect("snoozed tickets due", rows, err, scanDue)
}

// ClocksDue lists up to limit tickets whose clocks need the scheduler (a
// warning or a due time reached) at or before now, the earliest first.
func (s *Store) ClocksDue(ctx context.Context, now time.Time, limit int) ([]DueTicket, error) {
	rows, err := s.query(ctx, `SELECT ticket_id, property_id, next_at FROM sla_clocks
		WHERE next_at > 0 AND next_at <= ? ORDER BY next_at LIMIT ?`, ms(now), limit)
	return collect("SLA clocks due", rows, err, scanDue)
}

func scanDue(r scanner) (DueTicket, error) {
	var d DueTicket
	var at int64
	err := r.Scan(&d.TicketID, &d.PropertyID, &at)
	d.At = fromMS(at)
	return d, err
}
