package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// Webhook is one of a property's webhook endpoints. Its secret signs what
// is sent to it and is never shown after its creation.
type Webhook struct {
	ID          int64    `json:"id"`
	PropertyID  int64    `json:"property_id"`
	URL         string   `json:"url"`
	Secret      string   `json:"-"`
	Events      []string `json:"events"` // empty: every type
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why postdesk disabled it (empty when enabled or
	// disabled by hand).
	DisabledReason string `json:"disabled_reason,omitempty"`
	// FailingSince is when its deliveries began to fail without a success
	// since (zero while it works).
	FailingSince time.Time `json:"failing_since,omitzero"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

const webhookColumns = `id, property_id, url, secret, events, description, enabled, disabled_reason, failing_since, created_by, created_at`

func scanWebhook(r scanner) (Webhook, error) {
	var w Webhook
	var events string
	var failing, created int64
	err := r.Scan(&w.ID, &w.PropertyID, &w.URL, &w.Secret, &events, &w.Description, &w.Enabled, &w.DisabledReason,
		&failing, &w.CreatedBy, &created)
	w.Events = []string{}
	if events != "" {
		w.Events = strings.Split(events, ",")
	}
	w.FailingSince, w.CreatedAt = fromMS(failing), fromMS(created)
	return w, err
}

// AddWebhook adds an endpoint to w.PropertyID, enabled, and sets w.ID and
// w.CreatedAt.
func (tx *Tx) AddWebhook(w *Webhook) error {
	w.CreatedAt, w.Enabled = fromMS(ms(tx.Now())), true // as it reads back
	if w.Events == nil {
		w.Events = []string{}
	}
	err := tx.queryRow(`INSERT INTO webhooks (property_id, url, secret, events, description, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, w.PropertyID, w.URL, w.Secret, strings.Join(w.Events, ","),
		w.Description, w.CreatedBy, ms(w.CreatedAt)).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("add webhook: %w", err)
	}
	return nil
}

// Webhook returns endpoint id of a property.
func (tx *Tx) Webhook(propertyID, id int64) (Webhook, error) {
	w, err := scanWebhook(tx.queryRow(`SELECT `+webhookColumns+` FROM webhooks WHERE property_id = ? AND id = ?`, propertyID, id))
	return w, webhookErr(id, err)
}

// Webhook returns endpoint id of a property.
func (s *Store) Webhook(ctx context.Context, propertyID, id int64) (Webhook, error) {
	w, err := scanWebhook(s.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE property_id = ? AND id = ?`, propertyID, id))
	return w, webhookErr(id, err)
}

func webhookErr(id int64, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("webhook %d: %w", id, err)
	}
	return nil
}

// Webhooks returns a property's endpoints, oldest first.
func (s *Store) Webhooks(ctx context.Context, propertyID int64) ([]Webhook, error) {
	rows, err := s.query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE property_id = ? ORDER BY id`, propertyID)
	return collect("webhooks", rows, err, scanWebhook)
}

// RemoveWebhook deletes an endpoint of a property, its deliveries and its
// delivery log.
func (tx *Tx) RemoveWebhook(propertyID, id int64) error {
	if _, err := tx.Webhook(propertyID, id); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM webhook_attempts WHERE webhook_id = ?`,
		`DELETE FROM webhook_deliveries WHERE webhook_id = ?`, `DELETE FROM webhooks WHERE id = ?`} {
		if _, err := tx.exec(q, id); err != nil {
			return fmt.Errorf("remove webhook %d: %w", id, err)
		}
	}
	return nil
}

// EnableWebhook turns an endpoint of a property on again: events from now
// on are queued for it, and its failure is forgotten.
func (tx *Tx) EnableWebhook(propertyID, id int64) error {
	res, err := tx.exec(`UPDATE webhooks SET enabled = 1, disabled_reason = '', failing_since = 0
		WHERE property_id = ? AND id = ?`, propertyID, id)
	return affected(res, err, fmt.Sprintf("webhook %d", id))
}

// DisableWebhook turns an endpoint off for reason, and fails its queued
// deliveries: nothing more is sent to it, and nothing is queued for it
// until it is enabled again.
func (tx *Tx) DisableWebhook(id int64, reason string) error {
	if _, err := tx.exec(`UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?`, reason, id); err != nil {
		return fmt.Errorf("disable webhook %d: %w", id, err)
	}
	_, err := tx.exec(`UPDATE webhook_deliveries SET state = 'failed', last_error = ?, done_at = ?
		WHERE webhook_id = ? AND state = 'queued'`, "endpoint disabled: "+reason, ms(tx.Now()), id)
	if err != nil {
		return fmt.Errorf("disable webhook %d: %w", id, err)
	}
	return nil
}

// affected turns an UPDATE that changed no row into ErrNotFound.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// DueDelivery is a delivery claimed for an attempt: the event, and the
// endpoint it goes to.
type DueDelivery struct {
	ID       int64
	EventID  int64
	Type     ticket.HookType
	Payload  []byte
	Attempts int // attempts made before this one
	Webhook  Webhook
	// LeaseUntil is when the claim runs out and the delivery is due again,
	// for any sender: an attempt must be over by then.
	LeaseUntil time.Time
}

// ClaimDeliveries takes up to limit queued deliveries whose time has come,
// oldest first, and moves their next attempt to now+lease in the same
// transaction: another gateway sharing the database does not take them
// while this one tries, and if this one dies they are due again once the
// lease has passed. On PostgreSQL the deliveries are picked with FOR
// UPDATE SKIP LOCKED: two gateways claiming at once take different ones
// (under READ COMMITTED, an UPDATE whose subquery picked the rows another
// transaction was moving would move them again). When nothing is due, as on a property without
// webhooks, it says so after one read of an index on the reader pool and
// never waits for the writer: the sender asks after every commit that
// wrote events and once a poll.
func (s *Store) ClaimDeliveries(ctx context.Context, lease time.Duration, limit int) ([]DueDelivery, error) {
	due, err := s.anyDue(ctx)
	if err != nil || !due {
		return nil, err
	}
	var out []DueDelivery
	err = s.Update(ctx, func(tx *Tx) error {
		out = nil // a run again (the group rolled back) may find none
		now := tx.Now()
		until := fromMS(ms(now.Add(lease)))
		rows, err := tx.query(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (
			SELECT id FROM webhook_deliveries WHERE state = 'queued' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`+s.dialect.skipLocked()+`)
			RETURNING id`, ms(until), ms(now), limit)
		ids, err := collect("claim deliveries", rows, err, func(r scanner) (any, error) {
			var id int64
			return id, r.Scan(&id)
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		if out, err = tx.dueDeliveries(ids, until); err != nil {
			return err
		}
		if len(out) != len(ids) {
			return fmt.Errorf("claim deliveries: %d claimed, %d with their event and webhook", len(ids), len(out))
		}
		return nil
	})
	return out, err
}

// anyDue reports whether a queued delivery's time has come, reading the
// index webhook_deliveries_due alone (TestThreadLookupsUseIndexes).
func (s *Store) anyDue(ctx context.Context) (bool, error) {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM webhook_deliveries WHERE state = 'queued' AND next_attempt_at <= ? LIMIT 1`,
		ms(s.now())).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("due deliveries: %w", err)
	}
	return true, nil
}

// dueDeliveries reads the claimed deliveries ids with their events and
// webhooks, in one query, oldest first.
func (tx *Tx) dueDeliveries(ids []any, until time.Time) ([]DueDelivery, error) {
	rows, err := tx.query(`SELECT d.id, d.event_id, d.attempts, e.type, e.payload, w.`+
		strings.ReplaceAll(webhookColumns, ", ", ", w.")+`
		FROM webhook_deliveries d JOIN hook_events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.id IN (`+placeholders(len(ids))+`) ORDER BY d.id`, ids...)
	return collect("claimed deliveries", rows, err, func(r scanner) (DueDelivery, error) {
		d := DueDelivery{LeaseUntil: until}
		var typ, payload string
		w, err := scanWebhook(prefixScanner{r, []any{&d.ID, &d.EventID, &d.Attempts, &typ, &payload}})
		d.Type, d.Payload, d.Webhook = ticket.HookType(typ), []byte(payload), w
		return d, err
	})
}

// prefixScanner scans the columns before those its caller asks for into
// pre.
type prefixScanner struct {
	r   scanner
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.r.Scan(append(p.pre[:len(p.pre):len(p.pre)], dest...)...)
}

// WebhookAttempt is one attempt to POST an event to an endpoint: a line
// of its delivery log.
type WebhookAttempt struct {
	ID         int64  `json:"id"`
	WebhookID  int64  `json:"webhook_id"`
	DeliveryID int64  `json:"delivery_id"` // 0 for a test
	EventID    int64  `json:"event_id"`    // 0 for a test
	MsgID      string `json:"msg_id"`      // the webhook-id header sent
	Type       string `json:"type"`
	Attempt    int    `json:"attempt"` // 1 for the first
	// Outcome is "delivered", "retry", "failed" (given up) or "disabled"
	// (the endpoint was disabled by it).
	Outcome    string    `json:"outcome"`
	Status     int       `json:"status,omitempty"` // the HTTP status; 0 when none came
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	StartedAt  time.Time `json:"started_at"`
}

// RecordAttempt writes a line of an endpoint's delivery log. An endpoint
// removed while the attempt was made has no log any more: nothing is
// written, and a.ID stays 0.
func (tx *Tx) RecordAttempt(a *WebhookAttempt) error {
	err := tx.queryRow(`INSERT INTO webhook_attempts (webhook_id, delivery_id, event_id, msg_id, type, attempt, outcome,
		status, error, duration_ms, started_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?) RETURNING id`,
		a.WebhookID, a.DeliveryID, a.EventID, a.MsgID, a.Type, a.Attempt, a.Outcome, a.Status, a.Error, a.DurationMS,
		ms(a.StartedAt), a.WebhookID).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	return nil
}

// DeliverySucceeded marks a queued delivery delivered, and its endpoint
// working. It reports false when the delivery was no longer queued (its
// endpoint was disabled or removed meanwhile).
func (tx *Tx) DeliverySucceeded(id, webhookID int64, status int) (bool, error) {
	now := ms(tx.Now())
	res, err := tx.exec(`UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?,
		last_error = '', done_at = ? WHERE id = ? AND state = 'queued'`, status, now, id)
	if err != nil {
		return false, fmt.Errorf("delivery %d: %w", id, err)
	}
	if _, err := tx.exec(`UPDATE webhooks SET failing_since = 0 WHERE id = ?`, webhookID); err != nil {
		return false, fmt.Errorf("webhook %d: %w", webhookID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeliveryFailed records a failed attempt of a queued delivery: it is
// tried again at next, or, when next is zero, failed for good. It returns
// since when the endpoint has been failing (this failure's time if it
// worked until now), and whether the delivery was still queued (not
// failed meanwhile by its endpoint's disabling, nor removed with it; then
// since is zero and the endpoint is left as it is).
func (tx *Tx) DeliveryFailed(id, webhookID int64, status int, reason string, next time.Time) (time.Time, bool, error) {
	now := tx.Now()
	state, done := "queued", int64(0)
	if next.IsZero() {
		state, done, next = "failed", ms(now), now
	}
	res, err := tx.exec(`UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
		next_attempt_at = ?, done_at = ? WHERE id = ? AND state = 'queued'`, state, status, reason, ms(next), done, id)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("delivery %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("delivery %d: %w", id, err)
	}
	if n == 0 {
		// Failed already by its endpoint's disabling, or removed with
		// the endpoint: this failure tells nothing more of it.
		return time.Time{}, false, nil
	}
	var since int64
	err = tx.queryRow(`UPDATE webhooks SET failing_since = CASE WHEN failing_since = 0 THEN ? ELSE failing_since END
		WHERE id = ? RETURNING failing_since`, ms(now), webhookID).Scan(&since)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("webhook %d: %w", webhookID, err)
	}
	return fromMS(since), n > 0, nil
}

// WebhookAttempts returns up to limit lines of an endpoint's delivery log,
// newest first, those with an id below before (0: from the newest).
func (s *Store) WebhookAttempts(ctx context.Context, webhookID, before int64, limit int) ([]WebhookAttempt, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.query(ctx, `SELECT id, webhook_id, delivery_id, event_id, msg_id, type, attempt, outcome, status, error,
		duration_ms, started_at FROM webhook_attempts WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		webhookID, before, limit)
	return collect("webhook attempts", rows, err, func(r scanner) (WebhookAttempt, error) {
		var a WebhookAttempt
		var started int64
		err := r.Scan(&a.ID, &a.WebhookID, &a.DeliveryID, &a.EventID, &a.MsgID, &a.Type, &a.Attempt, &a.Outcome,
			&a.Status, &a.Error, &a.DurationMS, &started)
		a.StartedAt = fromMS(started)
		return a, err
	})
}

// Pruned counts what PruneHooks deleted.
type Pruned struct {
	Events, Deliveries, Attempts int64
}

// PruneHooks deletes what is older than before: the delivery log, the
// finished deliveries, and the events no queued delivery still needs. An
// event's id is never used again (AUTOINCREMENT), so a live stream that
// resumes after a pruned event only misses what was pruned.
func (s *Store) PruneHooks(ctx context.Context, before time.Time) (Pruned, error) {
	var p Pruned
	err := s.Update(ctx, func(tx *Tx) error {
		cut := ms(before)
		for _, q := range []struct {
			n   *int64
			sql string
		}{
			{&p.Attempts, `DELETE FROM webhook_attempts WHERE started_at < ?`},
			{&p.Deliveries, `DELETE FROM webhook_deliveries WHERE state != 'queued' AND done_at < ?`},
			{&p.Events, `DELETE FROM hook_events WHERE created_at < ?
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = hook_events.id)`},
		} {
			res, err := tx.exec(q.sql, cut)
			if err != nil {
				return fmt.Errorf("prune webhooks: %w", err)
			}
			if *q.n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("prune webhooks: %w", err)
			}
		}
		return nil
	})
	return p, err
}
