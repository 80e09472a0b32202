package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mailbox is an IMAP mailbox fetched into a property, and how far it has
// been fetched. URL holds no password: PasswordFile or PasswordEnv names
// where the fetcher reads it.
type Mailbox struct {
	ID           int64
	PropertyID   int64
	Property     string // the property's slug
	URL          string
	PasswordFile string `json:",omitempty"`
	PasswordEnv  string `json:",omitempty"`
	MoveTo       string `json:",omitempty"`
	UIDValidity  uint32
	LastUID      uint32
	Imported     int64 // messages stored (retransmissions included)
	Skipped      int64 // messages that could never be stored (unreadable, too large)
	LastImportAt time.Time
	LastError    string
	LastErrorAt  time.Time
	CreatedAt    time.Time
}

// MailboxProgress is the fetch position a delivery commits: the message
// with this UID, under this UIDVALIDITY (RFC 9051 §2.3.1.1), is stored.
type MailboxProgress struct {
	MailboxID   int64
	UIDValidity uint32
	UID         uint32
}

// ErrStaleProgress is returned when a delivery's fetch position is not
// beyond the stored one: the message was stored already (by another fetcher
// of the same mailbox), and the delivery is rolled back.
var ErrStaleProgress = errors.New("mailbox position already past this message")

const mailboxColumns = `m.id, m.property_id, p.slug, m.url, m.password_file, m.password_env, m.move_to, m.uid_validity,
	m.last_uid, m.imported, m.skipped, m.last_import_at, m.last_error, m.last_error_at, m.created_at`

func scanMailbox(r scanner) (Mailbox, error) {
	var m Mailbox
	var imported, errAt, created int64
	err := r.Scan(&m.ID, &m.PropertyID, &m.Property, &m.URL, &m.PasswordFile, &m.PasswordEnv, &m.MoveTo, &m.UIDValidity,
		&m.LastUID, &m.Imported, &m.Skipped, &imported, &m.LastError, &errAt, &created)
	m.LastImportAt, m.LastErrorAt, m.CreatedAt = fromMS(imported), fromMS(errAt), fromMS(created)
	return m, err
}

// AddMailbox adds a mailbox to fetch into the property m.PropertyID and
// sets m.ID. A URL is fetched into one property only (ErrExists). Exactly
// one of PasswordFile and PasswordEnv must be set.
func (s *Store) AddMailbox(ctx context.Context, m *Mailbox) error {
	if strings.TrimSpace(m.URL) == "" {
		return errors.New("add mailbox: no URL")
	}
	if (m.PasswordFile == "") == (m.PasswordEnv == "") {
		return errors.New("add mailbox: exactly one of a password file and a password variable is needed")
	}
	m.CreatedAt = s.now().UTC()
	err := s.Update(ctx, func(tx *Tx) error {
		if found, err := tx.exists(`SELECT 1 FROM imap_mailboxes WHERE url = ?`, m.URL); err != nil || found {
			return existsErr(err, fmt.Errorf("mailbox %s: %w", m.URL, ErrExists))
		}
		return tx.queryRow(`INSERT INTO imap_mailboxes (property_id, url, password_file, password_env, move_to, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, m.PropertyID, m.URL, m.PasswordFile, m.PasswordEnv, m.MoveTo,
			ms(m.CreatedAt)).Scan(&m.ID)
	})
	if err != nil {
		return fmt.Errorf("add mailbox: %w", err)
	}
	return nil
}

// Mailboxes lists the mailboxes of a property, or of every property when
// propertyID is 0.
func (s *Store) Mailboxes(ctx context.Context, propertyID int64) ([]Mailbox, error) {
	rows, err := s.query(ctx, `SELECT `+mailboxColumns+` FROM imap_mailboxes m JOIN properties p ON p.id = m.property_id
		WHERE ? = 0 OR m.property_id = ? ORDER BY m.id`, propertyID, propertyID)
	return collect("list mailboxes", rows, err, scanMailbox)
}

// MailboxByID returns one mailbox of a property.
func (s *Store) MailboxByID(ctx context.Context, propertyID, id int64) (Mailbox, error) {
	list, err := s.Mailboxes(ctx, propertyID)
	if err != nil {
		return Mailbox{}, err
	}
	for _, m := range list {
		if m.ID == id {
			return m, nil
		}
	}
	return Mailbox{}, fmt.Errorf("mailbox %d: %w", id, ErrNotFound)
}

// RemoveMailbox stops fetching a mailbox: its row and position go; what
// was fetched from it stays.
func (s *Store) RemoveMailbox(ctx context.Context, propertyID, id int64) error {
	return s.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM imap_mailboxes WHERE property_id = ? AND id = ?`, propertyID, id)
		if err != nil {
			return fmt.Errorf("remove mailbox: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return existsErr(err, fmt.Errorf("mailbox %d: %w", id, ErrNotFound))
		}
		return nil
	})
}

// RecordMailboxProgress moves a mailbox's fetch position to p in the
// delivery's transaction; stored counts the message as imported, else as
// skipped. It fails with ErrStaleProgress unless p is beyond the stored
// position (a new UIDVALIDITY starts afresh), so that one message is never
// committed twice, and with ErrNotFound when the mailbox was removed.
func (tx *Tx) RecordMailboxProgress(p MailboxProgress, stored bool) error {
	imported, skipped := 0, 1
	if stored {
		imported, skipped = 1, 0
	}
	res, err := tx.exec(`UPDATE imap_mailboxes SET uid_validity = ?, last_uid = ?, imported = imported + ?,
		skipped = skipped + ?, last_import_at = ? WHERE id = ? AND (uid_validity != ? OR last_uid < ?)`,
		p.UIDValidity, p.UID, imported, skipped, ms(tx.Now()), p.MailboxID, p.UIDValidity, p.UID)
	if err != nil {
		return fmt.Errorf("record mailbox position: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	found, err := tx.exists(`SELECT 1 FROM imap_mailboxes WHERE id = ?`, p.MailboxID)
	switch {
	case err != nil:
		return err
	case !found:
		return fmt.Errorf("mailbox %d: %w", p.MailboxID, ErrNotFound)
	}
	return fmt.Errorf("mailbox %d, UID %d: %w", p.MailboxID, p.UID, ErrStaleProgress)
}

// SkipMailboxMessage moves a mailbox's fetch position past a message that
// can never be stored; the caller logs why.
func (s *Store) SkipMailboxMessage(ctx context.Context, p MailboxProgress) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.RecordMailboxProgress(p, false) })
}

// SetMailboxError records the last error fetching a mailbox; an empty
// message records that it works again.
func (s *Store) SetMailboxError(ctx context.Context, id int64, msg string) error {
	return s.Update(ctx, func(tx *Tx) error {
		at := int64(0)
		if msg != "" {
			at = ms(tx.Now())
		}
		_, err := tx.exec(`UPDATE imap_mailboxes SET last_error = ?, last_error_at = ? WHERE id = ?`, msg, at, id)
		if err != nil {
			return fmt.Errorf("record mailbox error: %w", err)
		}
		return nil
	})
}

// LeaseMailbox takes or renews, for the gateway by, the lease on fetching
// a mailbox until now+d, and says whether by holds it: a mailbox is
// fetched by one gateway at a time. A lease held by another gateway is
// taken over once it has run out (its gateway died, or lost the
// database); by's own is renewed. A removed mailbox is not leased.
func (s *Store) LeaseMailbox(ctx context.Context, id int64, by string, now time.Time, d time.Duration) (bool, error) {
	if by == "" || d <= 0 {
		return false, fmt.Errorf("lease mailbox: want a gateway and a lease (got %q, %v)", by, d)
	}
	var n int64
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE imap_mailboxes SET fetched_by = ?, fetch_until = ?
			WHERE id = ? AND (fetched_by = ? OR fetched_by = '' OR fetch_until <= ?)`, by, ms(now.Add(d)), id, by, ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lease mailbox %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseMailbox gives up by's lease on fetching a mailbox, so that
// another gateway takes it over at once (a gateway that stops does).
func (s *Store) ReleaseMailbox(ctx context.Context, id int64, by string) error {
	err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE imap_mailboxes SET fetched_by = '', fetch_until = 0 WHERE id = ? AND fetched_by = ?`, id, by)
		return err
	})
	if err != nil {
		return fmt.Errorf("release mailbox %d: %w", id, err)
	}
	return nil
}
