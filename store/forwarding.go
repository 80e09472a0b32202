package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Forwarding is a mailbox that forwards its mail to a property (an admin's
// Gmail or Outlook mailbox, an Exchange rule, a Postfix alias), with the
// latest confirmation its provider sent, if any.
type Forwarding struct {
	PropertyID int64
	Mailbox    string // lower-case
	Provider   string // "gmail", "outlook", or "" when added by hand
	Code       string // the confirmation code, when one came
	Link       string // the confirmation link, when one came
	// ConfirmSHA256 names the stored confirmation mail (Blob).
	ConfirmSHA256 string
	ConfirmAt     time.Time // when the confirmation arrived; zero if none
	CreatedAt     time.Time
}

const forwardingColumns = `property_id, mailbox, provider, code, link, confirm_sha256, confirm_at, created_at`

func scanForwarding(r scanner) (Forwarding, error) {
	var f Forwarding
	var at, created int64
	err := r.Scan(&f.PropertyID, &f.Mailbox, &f.Provider, &f.Code, &f.Link, &f.ConfirmSHA256, &at, &created)
	f.CreatedAt = fromMS(created)
	if at != 0 {
		f.ConfirmAt = fromMS(at)
	}
	return f, err
}

// ForwardingMailboxes returns the forwarding mailboxes of a property that
// are addresses (a provider that names its account only masked, as
// Microsoft's "ad***@outlook.com", gives none).
func (s *Store) ForwardingMailboxes(ctx context.Context, propertyID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT mailbox FROM forwarding WHERE property_id = ? AND mailbox LIKE '%_@_%'
		AND mailbox NOT LIKE '%*%' ORDER BY mailbox`, propertyID)
	return collect("forwarding mailboxes", rows, err, func(r scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
}

// CachedForwardingMailboxes is ForwardingMailboxes through the cache (read
// for every message in, and changed rarely).
func (s *Store) CachedForwardingMailboxes(ctx context.Context, propertyID int64) ([]string, error) {
	now := s.cache.now()
	s.cache.mu.Lock()
	e, ok := s.cache.forwards[propertyID]
	s.cache.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.list, nil
	}
	list, err := s.ForwardingMailboxes(ctx, propertyID)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	s.cache.forwards[propertyID] = cachedList{list: list, expires: now.Add(cacheTTL)}
	s.cache.mu.Unlock()
	return list, nil
}

// RecordConfirmation keeps a provider's forwarding confirmation (its
// raw mail already stored with PutBlob): the mailbox becomes a forwarding
// mailbox of the property, and a later confirmation replaces the code and
// link of an earlier one.
func (tx *Tx) RecordConfirmation(f *Forwarding) error {
	f.Mailbox = strings.ToLower(f.Mailbox)
	f.ConfirmAt = tx.Now()
	_, err := tx.exec(`INSERT INTO forwarding (`+forwardingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (property_id, mailbox) DO UPDATE SET provider = excluded.provider, code = excluded.code,
			link = excluded.link, confirm_sha256 = excluded.confirm_sha256, confirm_at = excluded.confirm_at`,
		f.PropertyID, f.Mailbox, f.Provider, f.Code, f.Link, f.ConfirmSHA256, ms(f.ConfirmAt), ms(f.ConfirmAt))
	if err != nil {
		return fmt.Errorf("record forwarding confirmation: %w", err)
	}
	return nil
}

// AddForwarding makes mailbox a forwarding mailbox of a property; adding
// one already there changes nothing.
func (s *Store) AddForwarding(ctx context.Context, propertyID int64, mailbox string) error {
	err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO forwarding (property_id, mailbox, created_at) VALUES (?, ?, ?)
			ON CONFLICT (property_id, mailbox) DO NOTHING`, propertyID, strings.ToLower(mailbox), ms(tx.Now()))
		return err
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("add forwarding mailbox: %w", err)
	}
	return nil
}

// RemoveForwarding removes a forwarding mailbox of a property, with its
// confirmation; ErrNotFound if it has no such mailbox.
func (s *Store) RemoveForwarding(ctx context.Context, propertyID int64, mailbox string) error {
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM forwarding WHERE property_id = ? AND mailbox = ?`, propertyID, strings.ToLower(mailbox))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return existsErr(err, fmt.Errorf("forwarding mailbox %s: %w", mailbox, ErrNotFound))
		}
		return nil
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("remove forwarding mailbox: %w", err)
	}
	return nil
}

// Forwardings lists the forwarding mailboxes of a property with their
// confirmations.
func (s *Store) Forwardings(ctx context.Context, propertyID int64) ([]Forwarding, error) {
	rows, err := s.query(ctx, `SELECT `+forwardingColumns+` FROM forwarding WHERE property_id = ? ORDER BY mailbox`, propertyID)
	return collect("list forwarding mailboxes", rows, err, scanForwarding)
}
