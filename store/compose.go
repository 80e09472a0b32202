package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// Look-ups of composing a ticket by hand (desk.Op.Create) and of notes'
// @mentions.

// LookupContact returns the property's contact with this address, without
// creating one.
func (tx *Tx) LookupContact(propertyID int64, email string) (ticket.Contact, bool, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts c
		WHERE c.property_id = ? AND c.email = ?`, propertyID, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("contact: %w", err)
	}
	return c, true, nil
}

// SetContactPhone sets a contact's phone number.
func (tx *Tx) SetContactPhone(contactID int64, phone string) error {
	if _, err := tx.exec(`UPDATE contacts SET phone = ? WHERE id = ?`, phone, contactID); err != nil {
		return fmt.Errorf("set phone: %w", err)
	}
	return nil
}

// DepartmentNamed returns the id of the property's department of this name
// (letter case aside).
func (tx *Tx) DepartmentNamed(propertyID int64, name string) (int64, bool, error) {
	var id int64
	err := tx.queryRow(`SELECT id FROM departments WHERE property_id = ? AND lower(name) = lower(?) ORDER BY id LIMIT 1`,
		propertyID, strings.TrimSpace(name)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("department: %w", err)
	}
	return id, true, nil
}

// MembersOf lists every member of a property.
func (tx *Tx) MembersOf(propertyID int64) ([]ticket.Member, error) {
	return tx.members(`SELECT `+memberColumns+` FROM members m WHERE m.property_id = ? ORDER BY m.id`, propertyID)
}
