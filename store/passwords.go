package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SetPasswordHash sets the password hash of a member's address and ends
// every session of the address but keep (0: all of them), in one
// transaction: a changed password signs out whoever held the old one.
func (s *Store) SetPasswordHash(ctx context.Context, email, hash string, keep int64) error {
	email = strings.ToLower(strings.TrimSpace(email))
	err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO member_passwords (email, hash, changed_at) VALUES (?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET hash = excluded.hash, changed_at = excluded.changed_at`,
			email, hash, ms(tx.Now())); err != nil {
			return err
		}
		_, err := tx.exec(`DELETE FROM web_sessions WHERE email = ? AND id != ?`, email, keep)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// PasswordHash returns the password hash of an address, if it has one.
func (s *Store) PasswordHash(ctx context.Context, email string) (string, bool, error) {
	var hash string
	err := s.queryRow(ctx, `SELECT hash FROM member_passwords WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("password: %w", err)
	}
	return hash, true, nil
}
