package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"strings"
)

// Hold keeps a mail that is accepted but not posted. Its raw bytes must be
// stored with PutBlob.
func (tx *Tx) Hold(propertyID int64, reason, sender, subject, rawSHA string) error {
	return tx.HoldMail(&ticket.HeldMail{PropertyID: propertyID, Reason: reason, Sender: sender, Subject: subject, RawSHA256: rawSHA})
}

// HoldMail keeps a mail that is accepted but not posted, with its envelope,
// and sets h.ID. Its raw bytes must be stored with PutBlob.
func (tx *Tx) HoldMail(h *ticket.HeldMail) error {
	h.Status, h.CreatedAt, h.Sender = ticket.HeldWaiting, tx.Now(), strings.ToLower(h.Sender)
	err := tx.queryRow(`INSERT INTO held (property_id, reason, sender, subject, raw_sha256, env_from, env_to, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, h.PropertyID, h.Reason, h.Sender, h.Subject, h.RawSHA256,
		h.EnvFrom, joinList(h.EnvTo), h.Status, ms(h.CreatedAt)).Scan(&h.ID)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return nil
}

// ResolveHeld marks held mail released or discarded by someone. It fails
// with ErrNotFound unless the mail is still held: a mail is resolved once.
func (tx *Tx) ResolveHeld(propertyID, id int64, status, by string) error {
	res, err := tx.exec(`UPDATE held SET status = ?, resolved_by = ?, resolved_at = ? WHERE property_id = ? AND id = ? AND status = ?`,
		status, by, ms(tx.Now()), propertyID, id, ticket.HeldWaiting)
	if err != nil {
		return fmt.Errorf("resolve held mail: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("held mail %d (not held, or not in this property): %w", id, ErrNotFound)
	}
	return nil
}

const heldColumns = `id, property_id, reason, sender, subject, raw_sha256, env_from, env_to, status, resolved_by, resolved_at, created_at`

func scanHeld(r scanner) (ticket.HeldMail, error) {
	var h ticket.HeldMail
	var to string
	var resolved, created int64
	err := r.Scan(&h.ID, &h.PropertyID, &h.Reason, &h.Sender, &h.Subject, &h.RawSHA256, &h.EnvFrom, &to, &h.Status,
		&h.ResolvedBy, &resolved, &created)
	h.EnvTo, h.ResolvedAt, h.CreatedAt = splitList(to), fromMS(resolved), fromMS(created)
	return h, err
}

// Held lists a property's held mail, newest first: only what is still
// held, unless all.
func (s *Store) Held(ctx context.Context, propertyID int64, all bool) ([]ticket.HeldMail, error) {
	rows, err := s.query(ctx, `SELECT `+heldColumns+` FROM held WHERE property_id = ? AND (? = 1 OR status = ?)
		ORDER BY id DESC`, propertyID, all, ticket.HeldWaiting)
	return collect("list held", rows, err, scanHeld)
}

// HeldByID returns one held mail of a property, whatever its state.
func (s *Store) HeldByID(ctx context.Context, propertyID, id int64) (ticket.HeldMail, error) {
	h, err := scanHeld(s.queryRow(ctx, `SELECT `+heldColumns+` FROM held WHERE property_id = ? AND id = ?`, propertyID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("held mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("get held mail: %w", err)
	}
	return h, nil
}

// HeldRaw returns one held mail of a property with its raw bytes, as it
// arrived: what the API, the web inbox and `postdesk held show` show.
func (s *Store) HeldRaw(ctx context.Context, propertyID, id int64) (ticket.HeldMail, []byte, error) {
	h, err := s.HeldByID(ctx, propertyID, id)
	if err != nil {
		return h, nil, err
	}
	raw, err := s.Blob(ctx, h.RawSHA256)
	return h, raw, err
}

// DiscardHeld marks held mail discarded by someone; its bytes stay for the
// record.
func (s *Store) DiscardHeld(ctx context.Context, propertyID, id int64, by string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.ResolveHeld(propertyID, id, ticket.HeldDiscarded, by) })
}
