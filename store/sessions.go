package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrLinkUsed: a sign-in link was used already, or has expired.
var ErrLinkUsed = errors.New("the sign-in link was used already or has expired")

// Session is a member's signed-in browser: it acts as the member of Email
// in each property she belongs to, as an API token does.
type Session struct {
	ID        int64
	Email     string
	CSRF      string // the token every form of the session carries
	CreatedAt time.Time
	ExpiresAt time.Time
	SeenAt    time.Time
}

// newSecret is a random secret for a link or a session (130 bits).
func newSecret() string { return strings.ToLower(rand.Text()) }

// CreateLoginLink makes a one-time sign-in link's secret for a member's
// address, valid for ttl, unless the address asked for max links within
// the last hour already (then ok is false: no mail bomb through the sign-in
// form).
func (s *Store) CreateLoginLink(ctx context.Context, email string, ttl time.Duration, max int) (secret string, ok bool, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	secret = newSecret()
	err = s.Update(ctx, func(tx *Tx) error {
		now := tx.Now()
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM login_links WHERE email = ? AND created_at > ?`,
			email, ms(now.Add(-time.Hour))).Scan(&n); err != nil {
			return err
		}
		if ok = n < max; !ok {
			return nil
		}
		_, err := tx.exec(`INSERT INTO login_links (hash, email, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hashToken(secret), email, ms(now), ms(now.Add(ttl)))
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("login link: %w", err)
	}
	return secret, ok, nil
}

// UseLoginLink spends a sign-in link and opens a session of ttl for its
// address, in one transaction: a link opens one session at most.
func (s *Store) UseLoginLink(ctx context.Context, secret string, ttl time.Duration) (sess Session, sessionSecret string, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		now := tx.Now()
		var id int64
		var email string
		err := tx.queryRow(`SELECT id, email FROM login_links WHERE hash = ? AND used_at = 0 AND expires_at > ?`,
			hashToken(secret), ms(now)).Scan(&id, &email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkUsed
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE login_links SET used_at = ? WHERE id = ?`, ms(now), id); err != nil {
			return err
		}
		sess, sessionSecret, err = tx.createSession(email, ttl)
		return err
	})
	return sess, sessionSecret, err
}

// CreateSession opens a session for an address (after another proof of
// who she is, such as a password).
func (s *Store) CreateSession(ctx context.Context, email string, ttl time.Duration) (sess Session, secret string, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		sess, secret, err = tx.createSession(strings.ToLower(strings.TrimSpace(email)), ttl)
		return err
	})
	return sess, secret, err
}

func (tx *Tx) createSession(email string, ttl time.Duration) (Session, string, error) {
	now := tx.Now()
	secret := newSecret()
	sess := Session{Email: email, CSRF: newSecret(), CreatedAt: fromMS(ms(now)), ExpiresAt: fromMS(ms(now.Add(ttl))), SeenAt: fromMS(ms(now))}
	err := tx.queryRow(`INSERT INTO web_sessions (hash, email, csrf, created_at, expires_at, seen_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, hashToken(secret), email, sess.CSRF, ms(now), ms(sess.ExpiresAt), ms(now)).Scan(&sess.ID)
	if err != nil {
		return Session{}, "", fmt.Errorf("create session: %w", err)
	}
	return sess, secret, nil
}

// SessionBySecret returns the live session whose secret this is.
func (s *Store) SessionBySecret(ctx context.Context, secret string) (Session, bool, error) {
	var sess Session
	var created, expires, seen int64
	err := s.queryRow(ctx, `SELECT id, email, csrf, created_at, expires_at, seen_at FROM web_sessions
		WHERE hash = ? AND expires_at > ?`, hashToken(secret), ms(s.now())).Scan(&sess.ID, &sess.Email, &sess.CSRF, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, false, nil
	}
	if err != nil {
		return sess, false, fmt.Errorf("session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt, sess.SeenAt = fromMS(created), fromMS(expires), fromMS(seen)
	return sess, true, nil
}

// ExtendSession records that a session was used and moves its end to
// until.
func (s *Store) ExtendSession(ctx context.Context, id int64, until time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE web_sessions SET seen_at = ?, expires_at = ? WHERE id = ?`, ms(tx.Now()), ms(until), id)
		return err
	})
}

// EndSession signs a session out.
func (s *Store) EndSession(ctx context.Context, id int64) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM web_sessions WHERE id = ?`, id)
		return err
	})
}

// PurgeSessions deletes expired sessions, and sign-in links a day past
// their end (kept that long for the per-hour limit of links).
func (s *Store) PurgeSessions(ctx context.Context) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := tx.Now()
		if _, err := tx.exec(`DELETE FROM web_sessions WHERE expires_at <= ?`, ms(now)); err != nil {
			return err
		}
		_, err := tx.exec(`DELETE FROM login_links WHERE expires_at <= ?`, ms(now.Add(-24*time.Hour)))
		return err
	})
}
