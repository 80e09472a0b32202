package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"slices"
	"strings"
	"time"
)

// ErrNotQueued is returned by MarkSent, MarkRetry and FailClaimedOutbox
// for a row that is no longer queued: a verified bounce failed it while it
// was being sent.
var ErrNotQueued = errors.New("outbox row is no longer queued")

// ErrNotClaimed is returned by MarkSent, MarkRetry and FailClaimedOutbox
// for a queued row that the gateway named no longer claims: its lease ran
// out (a paused process, a clock far off) and another gateway claimed it,
// which now decides the row's outcome. The call changed nothing.
var ErrNotClaimed = errors.New("outbox row is no longer claimed by this gateway")

// OutboxRow is one mail to send.
type OutboxRow struct {
	ID          int64
	PropertyID  int64
	TicketID    int64 // 0 for notices about no ticket
	MessageID   int64 // the ticket message sent or copied; 0 for acks and notices
	Kind        string
	Rcpt        string
	RcptBase    string // Rcpt as the rate limits count it (outbox.BaseAddress); set by the queue
	RcptKind    string // "contact" or "member"
	RcptID      int64
	MsgID       string // the Message-ID this mail carries, fixed at enqueue
	Subject     string // notices only
	Body        string // notices only
	Topic       string // notices only: what they are folded by (see PendingNotice)
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	SentAt      time.Time
}

const outboxColumns = `id, property_id, COALESCE(ticket_id, 0), COALESCE(message_id, 0), kind, rcpt, rcpt_kind, rcpt_id,
	msg_id, subject, body, topic, status, attempts, next_attempt, last_error, created_at, sent_at`

func scanOutbox(row scanner) (OutboxRow, error) {
	var r OutboxRow
	var next, created, sent int64
	err := row.Scan(&r.ID, &r.PropertyID, &r.TicketID, &r.MessageID, &r.Kind, &r.Rcpt, &r.RcptKind, &r.RcptID,
		&r.MsgID, &r.Subject, &r.Body, &r.Topic, &r.Status, &r.Attempts, &next, &r.LastError, &created, &sent)
	r.NextAttempt, r.CreatedAt, r.SentAt = fromMS(next), fromMS(created), fromMS(sent)
	return r, err
}

// Enqueue adds a row to the outbox, due now.
func (tx *Tx) Enqueue(r *OutboxRow) error {
	now := tx.Now()
	r.Status, r.CreatedAt, r.NextAttempt = ticket.OutQueued, now, now
	r.Rcpt = strings.ToLower(r.Rcpt)
	err := tx.queryRow(`INSERT INTO outbox (property_id, ticket_id, message_id, kind, rcpt, rcpt_base, rcpt_kind,
		rcpt_id, msg_id, subject, body, topic, status, next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.PropertyID, nullID(r.TicketID), nullID(r.MessageID), r.Kind, r.Rcpt, r.RcptBase, r.RcptKind, r.RcptID, r.MsgID,
		r.Subject, r.Body, r.Topic, r.Status, ms(now), ms(now)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// CountRecent counts a property's outbox rows of a kind created since a
// time to one base address (see OutboxRow.RcptBase); it stops counting at
// atMost, which is all a limit needs to know, so the cost stays bounded
// however much mail the hour held.
func (tx *Tx) CountRecent(propertyID int64, kind, base string, since time.Time, atMost int) (int, error) {
	var n int
	err := tx.queryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE property_id = ? AND kind = ? AND rcpt_base = ?
		AND created_at >= ? LIMIT ?) AS recent`, propertyID, kind, base, ms(since), atMost).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recent outbox rows: %w", err)
	}
	return n, nil
}

// CountThisHour counts one more of what (e.g. "ack") for the property in
// the current clock hour and returns the count so far, this one included.
func (tx *Tx) CountThisHour(propertyID int64, what string) (int, error) {
	hour := tx.Now().Unix() / 3600
	var n int
	err := tx.queryRow(`INSERT INTO hourly_counts (property_id, what, hour, n) VALUES (?, ?, ?, 1)
		ON CONFLICT (property_id, what) DO UPDATE SET
		n = CASE WHEN hourly_counts.hour = excluded.hour THEN hourly_counts.n + 1 ELSE 1 END, hour = excluded.hour
		RETURNING n`, propertyID, what, hour).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count this hour: %w", err)
	}
	return n, nil
}

// CountNewTicket counts one more new ticket from a sender (the caller
// gives its base address) in the property's current window for that
// sender, which starts anew once window has passed since it began, and
// returns the count so far, this one included.
func (tx *Tx) CountNewTicket(propertyID int64, sender string, window time.Duration) (int, error) {
	now := ms(tx.Now())
	expired := now - window.Milliseconds()
	var n int
	err := tx.queryRow(`INSERT INTO sender_windows (property_id, sender, window_start, tickets) VALUES (?, ?, ?, 1)
		ON CONFLICT (property_id, sender) DO UPDATE SET
		tickets = CASE WHEN sender_windows.window_start <= ? THEN 1 ELSE sender_windows.tickets + 1 END,
		window_start = CASE WHEN sender_windows.window_start <= ? THEN excluded.window_start ELSE sender_windows.window_start END
		RETURNING tickets`, propertyID, sender, now, expired, expired).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count new ticket: %w", err)
	}
	return n, nil
}

// OutboxRow returns a row of the property's outbox.
func (tx *Tx) OutboxRow(propertyID, id int64) (OutboxRow, bool, error) {
	r, err := scanOutbox(tx.queryRow(`SELECT `+outboxColumns+` FROM outbox WHERE property_id = ? AND id = ?`, propertyID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("get outbox row: %w", err)
	}
	return r, true, nil
}

// FailOutbox marks a row as permanently failed, whoever claims it: a
// verified bounce fails the row whatever its claim.
func (tx *Tx) FailOutbox(id int64, reason string) error {
	_, err := tx.exec(`UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1,
		claimed_by = '', claimed_until = 0 WHERE id = ?`, ticket.OutFailed, reason, id)
	if err != nil {
		return fmt.Errorf("fail outbox row: %w", err)
	}
	return nil
}

// FailClaimedOutbox marks a row as permanently failed after an attempt by
// the gateway by, only while the row is queued and by still claims it
// (claimed_by = by; "" for a row nobody claims). Otherwise it changes
// nothing and returns ErrNotQueued or ErrNotClaimed, which fails the
// caller's transaction: the row's owner decides its outcome.
func (tx *Tx) FailClaimedOutbox(id int64, by, reason string) error {
	res, err := tx.exec(`UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1,
		claimed_by = '', claimed_until = 0 WHERE id = ? AND status = ? AND claimed_by = ?`,
		ticket.OutFailed, reason, id, ticket.OutQueued, by)
	if err == nil {
		err = tx.unmatched(res, id)
	}
	if err != nil {
		return fmt.Errorf("fail outbox row: %w", err)
	}
	return nil
}

// unmatched says why an update of the queued row id under a claim matched
// nothing: ErrNotQueued, ErrNotClaimed, or nil when it matched the row.
func (tx *Tx) unmatched(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var status string
	err = tx.queryRow(`SELECT status FROM outbox WHERE id = ?`, id).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotQueued
	case err != nil:
		return err
	case status == ticket.OutQueued:
		return ErrNotClaimed
	}
	return ErrNotQueued
}

// ClaimOutbox claims for the gateway by up to limit queued rows whose
// time has come (by now), oldest first, and returns them: each is claimed
// until now+lease, and no other claim takes it meanwhile, on this gateway
// or another sharing the database. MarkSent, MarkRetry and
// FailClaimedOutbox clear the claim, and change nothing once another
// gateway has claimed the row; a claim whose gateway died runs out with its lease (or is
// released when the gateway starts again under the same name:
// ReleaseOutboxClaims). On PostgreSQL the rows are picked with FOR UPDATE
// SKIP LOCKED, so two gateways claiming at once take different rows and
// never wait for each other; on SQLite the one writer runs claims one after
// another. When nothing is due it says so after one read, without waiting
// for the writer.
func (s *Store) ClaimOutbox(ctx context.Context, by string, now time.Time, lease time.Duration, limit int) ([]OutboxRow, error) {
	if by == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim outbox: want a claimant, a lease and a limit (got %q, %v, %d)", by, lease, limit)
	}
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM outbox WHERE status = ? AND next_attempt <= ? AND claimed_until <= ? LIMIT 1`,
		ticket.OutQueued, ms(now), ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	var out []OutboxRow
	err = s.Update(ctx, func(tx *Tx) error {
		rows, err := tx.query(`UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN (
			SELECT id FROM outbox WHERE status = ? AND next_attempt <= ? AND claimed_until <= ?
			ORDER BY next_attempt, id LIMIT ?`+s.dialect.skipLocked()+`)
			RETURNING `+outboxColumns, by, ms(now.Add(lease)), ticket.OutQueued, ms(now), ms(now), limit)
		out, err = collect("claim outbox", rows, err, scanOutbox)
		return err
	})
	slices.SortFunc(out, func(a, b OutboxRow) int {
		return cmp.Or(a.NextAttempt.Compare(b.NextAttempt), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

// ReleaseOutboxClaims clears the gateway by's claims: those of the rows in
// ids, or, with none given, every one it holds. A gateway releases the rows
// it claimed and did not hand out when it stops, and every claim under its
// name when it starts (a killed gateway's claims would otherwise hold its
// rows until their lease runs out). It returns the number of rows released.
func (s *Store) ReleaseOutboxClaims(ctx context.Context, by string, ids ...int64) (int64, error) {
	return s.releaseClaims(ctx, by, "IN", ids)
}

// ReleaseOutboxClaimsExcept clears the gateway by's claims on every row
// but those in keep (the rows it is sending). A gateway that met a
// database error while claiming or recording rows takes back this way the
// claims that may have committed unseen, or were left by a record that
// failed, once the database answers again: they would otherwise wait for
// their lease to run out. It returns the number of rows released.
func (s *Store) ReleaseOutboxClaimsExcept(ctx context.Context, by string, keep []int64) (int64, error) {
	return s.releaseClaims(ctx, by, "NOT IN", keep)
}

// releaseClaims clears by's claims on the rows whose ids are op ("IN" or
// "NOT IN") ids; an empty ids names every row.
func (s *Store) releaseClaims(ctx context.Context, by, op string, ids []int64) (int64, error) {
	query := `UPDATE outbox SET claimed_by = '', claimed_until = 0 WHERE claimed_by = ?`
	args := []any{by}
	if len(ids) > 0 {
		query += ` AND id ` + op + ` (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release outbox claims: %w", err)
	}
	return n, nil
}

// Outbox lists the outbox rows of a property, newest first, optionally only
// those in one state.
func (s *Store) Outbox(ctx context.Context, propertyID int64, status string) ([]OutboxRow, error) {
	rows, err := s.query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE property_id = ? AND (? = '' OR status = ?)
		ORDER BY id DESC`, propertyID, status, status)
	return collect("list outbox", rows, err, scanOutbox)
}

// MarkSent records a queued row as delivered by the gateway by, which
// claims it (claimed_by = by; "" for a row nobody claims). A row that is
// no longer queued keeps its state, and MarkSent returns ErrNotQueued: a
// verified bounce that arrived while the row was being sent failed it, and
// a late MarkSent must not undo that (the bounce stands; the address stays
// suppressed). A row that another gateway claimed since by's lease ran out
// keeps its state and its claim, and MarkSent returns ErrNotClaimed.
func (s *Store) MarkSent(ctx context.Context, id int64, by string) error {
	return s.updateClaimed(ctx, "mark sent", id, `UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1, last_error = '',
		claimed_by = '', claimed_until = 0 WHERE id = ? AND status = ? AND claimed_by = ?`,
		func(now time.Time) []any { return []any{ticket.OutSent, ms(now), id, ticket.OutQueued, by} })
}

// MarkRetry records a temporary failure of a queued row that the gateway
// by claims, and when to try again. Like MarkSent, it leaves a row that is
// no longer queued, or no longer by's, alone and returns ErrNotQueued or
// ErrNotClaimed.
func (s *Store) MarkRetry(ctx context.Context, id int64, by string, next time.Time, reason string) error {
	return s.updateClaimed(ctx, "mark retry", id, `UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?,
		claimed_by = '', claimed_until = 0 WHERE id = ? AND status = ? AND claimed_by = ?`,
		func(time.Time) []any { return []any{ms(next), reason, id, ticket.OutQueued, by} })
}

// updateClaimed runs an update of the row id that applies only while the
// row is queued and claimed by the caller, and returns ErrNotQueued or
// ErrNotClaimed when it matched nothing. The update itself succeeds either
// way, so that it never rolls back the other transactions of its group
// commit.
func (s *Store) updateClaimed(ctx context.Context, what string, id int64, query string, args func(now time.Time) []any) error {
	var why error
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(query, args(tx.Now())...)
		if err != nil {
			return err
		}
		why = tx.unmatched(res, id)
		if errors.Is(why, ErrNotQueued) || errors.Is(why, ErrNotClaimed) {
			return nil
		}
		return why
	})
	if err == nil {
		err = why
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Count returns the number of rows of a table that the store knows (held,
// bounces, outbox, tickets, messages), for tests and status output.
func (s *Store) Count(ctx context.Context, table string) (int64, error) {
	switch table {
	case "held", "bounces", "outbox", "tickets", "messages", "suppressions", "contacts", "pending_notices",
		"web_sessions", "login_links":
	default:
		return 0, fmt.Errorf("count: unknown table %q", table)
	}
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	return n, err
}
