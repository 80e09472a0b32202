package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TokenPrefix starts every API token, so that a leaked one is recognised
// by secret scanners and by the people who find it.
const TokenPrefix = "pdk_"

// Token is a member's API token, without its secret (only its hash is
// kept). It acts as the member of Email in each property she belongs to.
type Token struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Label      string    `json:"label"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Membership is one property an address is a member of, and the member.
type Membership struct {
	Property ticket.Property
	Member   ticket.Member
}

// hashToken is how a token's secret is kept: SHA-256, since the secret is
// random (130 bits), not a password to stretch.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for the member address email and returns its
// secret, which is shown once and not kept. The address must be a member
// of at least one property.
func (s *Store) CreateToken(ctx context.Context, email, label, by string) (secret string, t Token, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	members, err := s.Memberships(ctx, email)
	if err != nil {
		return "", t, err
	}
	if len(members) == 0 {
		return "", t, fmt.Errorf("%s is not a member of any property: %w", email, ErrNotFound)
	}
	secret = TokenPrefix + strings.ToLower(rand.Text())
	t = Token{Email: email, Label: strings.TrimSpace(label), CreatedBy: by}
	err = s.Update(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.Now()
		return tx.queryRow(`INSERT INTO api_tokens (email, label, hash, created_by, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, t.Email, t.Label, hashToken(secret), by, ms(t.CreatedAt)).Scan(&t.ID)
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

const tokenColumns = `id, email, label, created_by, created_at, last_used_at, revoked_at`

func scanToken(r scanner) (Token, error) {
	var t Token
	var created, used, revoked int64
	err := r.Scan(&t.ID, &t.Email, &t.Label, &t.CreatedBy, &created, &used, &revoked)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return t, err
}

// TokenBySecret returns the live (not revoked) token whose secret this is.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (Token, bool, error) {
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ? AND revoked_at = 0`,
		hashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("token: %w", err)
	}
	return t, true, nil
}

// TouchToken records that a token was used at the time given.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ms(at), id)
		return err
	})
}

// Tokens lists the tokens of an address (every token when email is
// empty), revoked ones too, oldest first.
func (s *Store) Tokens(ctx context.Context, email string) ([]Token, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE ? = '' OR email = ? ORDER BY id`,
		email, strings.ToLower(strings.TrimSpace(email)))
	return collect("tokens", rows, err, scanToken)
}

// RevokeToken revokes a token: it stops working at once. Revoking a
// revoked token changes nothing.
func (s *Store) RevokeToken(ctx context.Context, id int64) (Token, error) {
	var t Token
	err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, ms(tx.Now()), id); err != nil {
			return err
		}
		var err error
		t, err = scanToken(tx.queryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		return err
	})
	return t, err
}

// Memberships lists the properties the address is a member of, with the
// member, by property slug.
func (s *Store) Memberships(ctx context.Context, email string) ([]Membership, error) {
	rows, err := s.query(ctx, `SELECT m.property_id FROM members m JOIN properties p ON p.id = m.property_id
		WHERE m.email = ? ORDER BY p.slug`, strings.ToLower(strings.TrimSpace(email)))
	ids, err := collect("memberships", rows, err, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Membership, 0, len(ids))
	for _, id := range ids {
		p, err := s.CachedPropertyByID(ctx, id)
		if err != nil {
			return nil, err
		}
		m, found, err := s.CachedMember(ctx, p, email)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, Membership{Property: p, Member: m})
		}
	}
	return out, nil
}
