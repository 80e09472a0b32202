package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// PendingNotice is a notice to a member waiting to be sent, alone or
// folded with others of its topic into a digest (see outbox.Digester).
type PendingNotice struct {
	ID         int64
	PropertyID int64
	TicketID   int64 // 0 for notices about no ticket
	MemberID   int64
	Rcpt       string
	Topic      string
	Subject    string
	Body       string
	CreatedAt  time.Time
}

// AddPendingNotice stores a notice for the digest worker.
func (tx *Tx) AddPendingNotice(n *PendingNotice) error {
	n.CreatedAt, n.Rcpt = tx.Now(), strings.ToLower(n.Rcpt)
	err := tx.queryRow(`INSERT INTO pending_notices (property_id, ticket_id, member_id, rcpt, topic, subject, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, n.PropertyID, nullID(n.TicketID), n.MemberID, n.Rcpt, n.Topic,
		n.Subject, n.Body, ms(n.CreatedAt)).Scan(&n.ID)
	if err != nil {
		return fmt.Errorf("add pending notice: %w", err)
	}
	return nil
}

// NoticeGroup names the pending notices of one topic to one member.
type NoticeGroup struct {
	PropertyID int64
	MemberID   int64
	Topic      string
}

// DueNoticeGroups lists the groups that have pending notices and had no
// notice of their topic queued since the given time.
func (s *Store) DueNoticeGroups(ctx context.Context, since time.Time) ([]NoticeGroup, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT p.property_id, p.member_id, p.topic FROM pending_notices p
		WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'notice' AND o.property_id = p.property_id
			AND o.rcpt_id = p.member_id AND o.topic = p.topic AND o.created_at > ?)
		ORDER BY p.property_id, p.member_id, p.topic`, ms(since))
	return collect("due notice groups", rows, err, func(r scanner) (NoticeGroup, error) {
		var g NoticeGroup
		return g, r.Scan(&g.PropertyID, &g.MemberID, &g.Topic)
	})
}

// Admins returns the admins of a property; a property without admins has
// every member returned, so that what is meant for admins reaches someone.
func (tx *Tx) Admins(propertyID int64) ([]ticket.Member, error) {
	admins, err := tx.members(`SELECT `+memberColumns+` FROM members m
		WHERE m.property_id = ? AND m.role = ? ORDER BY m.id`, propertyID, string(ticket.RoleAdmin))
	if err != nil || len(admins) > 0 {
		return admins, err
	}
	return tx.members(`SELECT `+memberColumns+` FROM members m WHERE m.property_id = ? ORDER BY m.id`, propertyID)
}

// PendingNotices returns a group's pending notices, oldest first, and
// makes them this transaction's to fold: on PostgreSQL they are locked, so
// that a digester of another gateway flushing the group at the same time
// waits for this transaction and then finds them gone (deleted with
// DeletePendingNotices), rather than folding them again.
func (tx *Tx) PendingNotices(g NoticeGroup) ([]PendingNotice, error) {
	rows, err := tx.query(`SELECT id, property_id, COALESCE(ticket_id, 0), member_id, rcpt, topic, subject, body, created_at
		FROM pending_notices WHERE property_id = ? AND member_id = ? AND topic = ? ORDER BY id`+tx.s.dialect.forUpdate(),
		g.PropertyID, g.MemberID, g.Topic)
	return collect("pending notices", rows, err, func(r scanner) (PendingNotice, error) {
		var n PendingNotice
		var created int64
		err := r.Scan(&n.ID, &n.PropertyID, &n.TicketID, &n.MemberID, &n.Rcpt, &n.Topic, &n.Subject, &n.Body, &created)
		n.CreatedAt = fromMS(created)
		return n, err
	})
}

// DeletePendingNotices removes a group's pending notices up to and
// including id, once they are queued.
func (tx *Tx) DeletePendingNotices(g NoticeGroup, upTo int64) error {
	_, err := tx.exec(`DELETE FROM pending_notices WHERE property_id = ? AND member_id = ? AND topic = ? AND id <= ?`,
		g.PropertyID, g.MemberID, g.Topic, upTo)
	if err != nil {
		return fmt.Errorf("delete pending notices: %w", err)
	}
	return nil
}

// LastNotice returns when the last notice of a group was queued, or the
// zero time.
func (tx *Tx) LastNotice(g NoticeGroup) (time.Time, error) {
	var last int64
	err := tx.queryRow(`SELECT COALESCE(MAX(created_at), 0) FROM outbox WHERE property_id = ? AND rcpt_id = ? AND topic = ?
		AND kind = 'notice'`, g.PropertyID, g.MemberID, g.Topic).Scan(&last)
	if err != nil {
		return time.Time{}, fmt.Errorf("last notice: %w", err)
	}
	return fromMS(last), nil
}
