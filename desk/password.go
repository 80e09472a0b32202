package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// A member may set a password to sign in to the web inbox with, besides
// the links mailed to her. It is kept per address as a bcrypt hash.
const (
	passwordCost = 11 // bcrypt's work factor: about 0.1 s a try here
	// PasswordMin and PasswordMax bound a password's length (bcrypt reads
	// 72 bytes at most).
	PasswordMin = 10
	PasswordMax = 72
	// noPassword is the hash an address without a password is checked
	// against, so that a wrong password and an unknown address take the
	// same time.
	noPassword = "$2a$11$dHERTXPHyqSB45bl7Me2QOiulhTydSx8iMqab6PUtjnMMtbd5d2GK"
)

// SetPassword sets the password of a member's address and ends every web
// session of hers but keep (0: all): whoever knew the old password is
// signed out.
func (d *Desk) SetPassword(ctx context.Context, email, password string, keep int64) error {
	email = strings.ToLower(strings.TrimSpace(email))
	members, err := d.st.Memberships(ctx, email)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return invalid("%s is not a member of any property", email)
	}
	switch n := utf8.RuneCountInString(password); {
	case n < PasswordMin:
		return invalid("the password is too short: %d characters at least", PasswordMin)
	case len(password) > PasswordMax:
		return invalid("the password is too long: %d bytes at most", PasswordMax)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := d.st.SetPasswordHash(ctx, email, string(hash), keep); err != nil {
		return err
	}
	d.log.Info("password set", "email", email)
	return nil
}

// CheckPassword reports whether password is the one of a member's
// address. An address without a password (or a stranger's) costs as much
// time as a wrong password, and is as wrong.
func (d *Desk) CheckPassword(ctx context.Context, email, password string) (bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	hash, ok, err := d.st.PasswordHash(ctx, email)
	if err != nil {
		return false, err
	}
	if ok {
		members, err := d.st.Memberships(ctx, email)
		if err != nil {
			return false, err
		}
		ok = len(members) > 0 // a removed member's password opens nothing
	}
	if !ok {
		hash = noPassword
	}
	err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		return ok, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	default:
		return false, fmt.Errorf("check password: %w", err)
	}
}
