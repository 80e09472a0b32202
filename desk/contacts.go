package desk

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/ticket"
)

// Limits of what the team writes about a contact, in bytes.
const (
	maxContactName = 200
	maxPhone       = 40
	maxContactNote = 16 << 10
)

// contact returns the property's contact with this address (the contact
// itself, not the one it may have been merged into).
func (o *Op) contact(email string) (ticket.Contact, error) {
	c, found, err := o.Tx.ContactByEmail(o.Prop().ID, email)
	if err != nil {
		return c, err
	}
	if !found {
		return c, fmt.Errorf("contact %s of %s: %w", email, o.Prop().Slug, ErrNotFound)
	}
	return c, nil
}

// ContactEdit is a change to a contact: nil fields stay as they are.
type ContactEdit struct {
	Name  *string
	Phone *string
}

// EditContact changes the name or phone of the contact with this address.
// A name is one line; a phone holds digits, spaces and + - ( ) . only.
// Contacts keep no event log: a note on the contact records the change,
// its old and new values and who made it.
func (d *Desk) EditContact(ctx context.Context, prop ticket.Property, a Actor, email string, e ContactEdit) (ticket.Contact, error) {
	var out ticket.Contact
	err := d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Actor.team("edit a contact"); err != nil {
			return err
		}
		c, err := o.contact(email)
		if err != nil {
			return err
		}
		var changes []string
		if e.Name != nil {
			name, err := contactName(*e.Name)
			if err != nil {
				return err
			}
			if name != c.Name {
				changes = append(changes, fmt.Sprintf("name %q → %q", c.Name, name))
			}
			c.Name = name
		}
		if e.Phone != nil {
			phone, err := Phone(*e.Phone)
			if err != nil {
				return err
			}
			if phone != c.Phone {
				changes = append(changes, fmt.Sprintf("phone %q → %q", c.Phone, phone))
			}
			c.Phone = phone
		}
		out = c
		if len(changes) == 0 {
			return nil
		}
		if err := o.Tx.SetContact(c.ID, c.Name, c.Phone); err != nil {
			return err
		}
		return o.Tx.AddContactNote(c.ID, o.Actor.String(), "edited: "+strings.Join(changes, ", "))
	})
	return out, err
}

func contactName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxContactName {
		return "", invalid("a name is one line of at most %d bytes", maxContactName)
	}
	if err := ticket.CheckName(s, false); err != nil { // the rule ticket create's --name follows
		return "", invalid("name: %v", err)
	}
	return s, nil
}

// Phone validates a phone number as people write it: digits, spaces and
// + - ( ) . only, with at least one digit; empty clears it.
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r) && r < 0x80:
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			return "", invalid("phone %q: digits, spaces and + - ( ) . only", s)
		}
	}
	if digits == 0 || len(s) > maxPhone {
		return "", invalid("phone %q: 1 to %d characters with at least one digit", s, maxPhone)
	}
	return s, nil
}

// NoteContact records a note on the contact with this address, shown in
// their timeline with its author.
func (d *Desk) NoteContact(ctx context.Context, prop ticket.Property, a Actor, email, text string) error {
	return d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Actor.team("write a note on a contact"); err != nil {
			return err
		}
		text = strings.TrimSpace(text)
		if text == "" || len(text) > maxContactNote {
			return invalid("a note is 1 to %d bytes", maxContactNote)
		}
		c, err := o.contact(email)
		if err != nil {
			return err
		}
		return o.Tx.AddContactNote(c.ID, o.Actor.String(), text)
	})
}

// MergeContacts merges the contact with address from into the one with
// address into, for one person who wrote from two addresses: from's
// tickets, participations, mail, notes and the custom fields into lacks
// move to into, and from's address becomes an alias of into. Later mail
// from that address is into's: a ticket it opens has into as requester
// (its answers go to into's address), and it threads by subject tag into
// into's tickets. A note on into records the merge and who made it. A
// contact is not merged into itself or into a merged contact, nor merged
// twice.
func (d *Desk) MergeContacts(ctx context.Context, prop ticket.Property, a Actor, from, into string) (ticket.Contact, error) {
	var out ticket.Contact
	err := d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Actor.team("merge contacts"); err != nil {
			return err
		}
		f, err := o.contact(from)
		if err != nil {
			return err
		}
		t, err := o.contact(into)
		if err != nil {
			return err
		}
		switch {
		case f.ID == t.ID:
			return invalid("%s cannot be merged into itself", f.Email)
		case f.MergedInto != 0:
			return invalid("%s was already merged into another contact", f.Email)
		case t.MergedInto != 0:
			return invalid("%s was merged into another contact; merge into that one", t.Email)
		}
		if err := o.Tx.MergeContact(f.ID, t.ID); err != nil {
			return err
		}
		if t.Name == "" && f.Name != "" || t.Phone == "" && f.Phone != "" {
			t.Name, t.Phone = cmpOr(t.Name, f.Name), cmpOr(t.Phone, f.Phone)
			if err := o.Tx.SetContact(t.ID, t.Name, t.Phone); err != nil {
				return err
			}
		}
		out = t
		return o.Tx.AddContactNote(t.ID, o.Actor.String(), "merged the contact "+f.Email+" into this one; mail from "+f.Email+" is now this contact's")
	})
	return out, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
