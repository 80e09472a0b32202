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

// contactColumns are what scanContact reads, in its order.
const contactColumns = `c.id, c.property_id, c.email, c.name, c.phone, c.created_at, COALESCE(c.merged_into, 0)`

func scanContact(r scanner) (ticket.Contact, error) {
	var c ticket.Contact
	var created int64
	err := r.Scan(&c.ID, &c.PropertyID, &c.Email, &c.Name, &c.Phone, &created, &c.MergedInto)
	c.CreatedAt = fromMS(created)
	return c, err
}

// Contact returns the property's contact with this address, creating it if it
// does not exist. A name is filled in when the contact had none. The
// address of a contact merged into another is an alias of that one: the
// other contact is returned.
func (tx *Tx) Contact(propertyID int64, email, name string) (ticket.Contact, error) {
	c, err := scanContact(tx.queryRow(`INSERT INTO contacts (property_id, email, name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (property_id, email) DO UPDATE SET name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END
		RETURNING id, property_id, email, name, phone, created_at, COALESCE(merged_into, 0)`, propertyID, strings.ToLower(email), name, ms(tx.Now())))
	if err != nil {
		return c, fmt.Errorf("contact: %w", err)
	}
	if c.MergedInto != 0 {
		return tx.ContactByID(c.MergedInto)
	}
	return c, nil
}

// participantsQuery reads a ticket's requester and Cc'd participants.
const participantsQuery = `SELECT ` + contactColumns + ` FROM ticket_participants tp
	JOIN contacts c ON c.id = tp.contact_id WHERE tp.ticket_id = ? ORDER BY tp.role DESC, c.id`

// TicketParticipants returns the requester and Cc'd participants of a
// ticket: everyone an agent's answer goes to.
func (s *Store) TicketParticipants(ctx context.Context, ticketID int64) ([]ticket.Contact, error) {
	rows, err := s.query(ctx, participantsQuery, ticketID)
	return collect("participants", rows, err, scanContact)
}

// Participants returns the requester and Cc'd participants of a ticket.
func (tx *Tx) Participants(ticketID int64) ([]ticket.Contact, error) {
	rows, err := tx.query(participantsQuery, ticketID)
	return collect("participants", rows, err, scanContact)
}

// ContactByID returns a contact by id.
func (tx *Tx) ContactByID(id int64) (ticket.Contact, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`, id))
	if err != nil {
		return c, fmt.Errorf("contact id %d: %w", id, err)
	}
	return c, nil
}

// ContactByEmail returns the property's contact with this address, without
// creating one and without following a merge (the merged contact itself).
func (tx *Tx) ContactByEmail(propertyID int64, email string) (ticket.Contact, bool, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts c WHERE c.property_id = ? AND c.email = ?`,
		propertyID, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("get contact: %w", err)
	}
	return c, true, nil
}

// ContactByEmail returns the property's contact with this address, without
// following a merge.
func (s *Store) ContactByEmail(ctx context.Context, propertyID int64, email string) (ticket.Contact, error) {
	c, err := scanContact(s.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.property_id = ? AND c.email = ?`,
		propertyID, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contact %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}

// SetContact changes a contact's name and phone.
func (tx *Tx) SetContact(id int64, name, phone string) error {
	if _, err := tx.exec(`UPDATE contacts SET name = ?, phone = ? WHERE id = ?`, name, phone, id); err != nil {
		return fmt.Errorf("edit contact: %w", err)
	}
	return nil
}

// AddContactNote records a note on a contact.
func (tx *Tx) AddContactNote(contactID int64, author, body string) error {
	_, err := tx.exec(`INSERT INTO contact_notes (contact_id, author, body, created_at) VALUES (?, ?, ?, ?)`,
		contactID, author, body, ms(tx.Now()))
	if err != nil {
		return fmt.Errorf("add contact note: %w", err)
	}
	return nil
}

// MergeContact moves what contact from has to contact into: the tickets it
// requested, its participations, the mail it wrote (author_id of inbound
// messages), its notes, the custom field values into lacks, and the
// contacts merged into it before. Then from is marked merged into into:
// its row stays as an alias, so later mail from its address is into's.
func (tx *Tx) MergeContact(from, into int64) error {
	// Each step gets the arguments it names (?1 from, ?2 into): PostgreSQL
	// refuses an argument its statement does not use.
	one, both := []any{from}, []any{from, into}
	steps := []struct {
		what, q string
		args    []any
	}{
		{"tickets", `UPDATE tickets SET requester_id = ?2 WHERE requester_id = ?1`, both},
		{"participants", `INSERT INTO ticket_participants (ticket_id, contact_id, role)
			SELECT ticket_id, ?2, role FROM ticket_participants WHERE contact_id = ?1
			ON CONFLICT (ticket_id, contact_id) DO UPDATE SET role = CASE WHEN excluded.role = 'requester' THEN 'requester' ELSE ticket_participants.role END`, both},
		{"participants", `DELETE FROM ticket_participants WHERE contact_id = ?1`, one},
		{"messages", `UPDATE messages SET author_id = ?2 WHERE author_id = ?1 AND direction = 'inbound'`, both},
		{"notes", `UPDATE contact_notes SET contact_id = ?2 WHERE contact_id = ?1`, both},
		{"fields", `INSERT INTO field_values (field_id, object_id, value)
			SELECT v.field_id, ?2, v.value FROM field_values v JOIN fields f ON f.id = v.field_id AND f.target = 'contact'
			WHERE v.object_id = ?1 ON CONFLICT (field_id, object_id) DO NOTHING`, both},
		{"fields", `DELETE FROM field_values WHERE object_id = ?1 AND field_id IN (SELECT id FROM fields WHERE target = 'contact')`, one},
		{"aliases", `UPDATE contacts SET merged_into = ?2 WHERE merged_into = ?1`, both},
		{"contact", `UPDATE contacts SET merged_into = ?2 WHERE id = ?1`, both},
	}
	for _, s := range steps {
		if _, err := tx.exec(s.q, s.args...); err != nil {
			return fmt.Errorf("merge contact: move %s: %w", s.what, err)
		}
	}
	return nil
}

// Aliases returns the addresses of the contacts merged into a contact.
func (s *Store) Aliases(ctx context.Context, contactID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT email FROM contacts WHERE merged_into = ? ORDER BY email`, contactID)
	return collect("aliases", rows, err, func(r scanner) (string, error) {
		var e string
		return e, r.Scan(&e)
	})
}

// TimelineEntry is one line of a contact's timeline: a ticket they take
// part in (its opening), a mail they wrote, or a note the team keeps on
// them.
type TimelineEntry struct {
	Kind      string        `json:"kind"` // ticket, message or note
	At        time.Time     `json:"at"`
	Ticket    int64         `json:"ticket,omitempty"`     // the ticket's number (ticket, message)
	MessageID int64         `json:"message_id,omitempty"` // the message (message)
	Subject   string        `json:"subject,omitempty"`    // the ticket's or message's subject
	Status    ticket.Status `json:"status,omitempty"`
	Author    string        `json:"author,omitempty"` // the note's author (note)
	Text      string        `json:"text,omitempty"`   // the note, or the start of the mail's text
	// Pos is the entry's place in the timeline's order: the page after it
	// starts after Pos (TimelineAfter).
	Pos TimelinePos `json:"-"`
}

// TimelinePos is a place in a contact's timeline (newest first): its time,
// then its kind's rank, then its row, so that every entry has one.
type TimelinePos struct {
	At   int64 // milliseconds since the Unix epoch
	Rank int
	Seq  int64
}

// timelineQuery is a contact's timeline, newest first (at one moment, a
// note before a mail before the ticket the mail opened): every ticket they
// take part in (ticket_participants_contact), every mail they wrote
// (messages_author), every note on them (contact_notes_contact).
const timelineQuery = `SELECT kind, at, number, mid, subject, status, author, body, rank, seq FROM (
	SELECT 'ticket' AS kind, t.created_at AS at, t.number, 0 AS mid, t.subject, t.status, '' AS author, '' AS body, 0 AS rank, t.id AS seq
		FROM ticket_participants tp JOIN tickets t ON t.id = tp.ticket_id WHERE tp.contact_id = ?1
	UNION ALL
	SELECT 'message', m.created_at, t.number, m.id, m.subject, '', m.author_email, substr(m.text_body, 1, 200), 1, m.id
		FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.author_id = ?1 AND m.direction = 'inbound'
	UNION ALL
	SELECT 'note', n.created_at, 0, 0, '', '', n.author, n.body, 2, n.id FROM contact_notes n WHERE n.contact_id = ?1
) AS timeline WHERE ?3 = 1 OR (at, rank, seq) < (?4, ?5, ?6) ORDER BY at DESC, rank DESC, seq DESC LIMIT ?2`

// Timeline returns up to limit entries of a contact's timeline, newest
// first.
func (s *Store) Timeline(ctx context.Context, contactID int64, limit int) ([]TimelineEntry, error) {
	return s.timeline(ctx, contactID, nil, limit)
}

// TimelineAfter returns up to limit entries of a contact's timeline that
// come after pos (older), newest first: a page that stays right while
// entries are added.
func (s *Store) TimelineAfter(ctx context.Context, contactID int64, pos TimelinePos, limit int) ([]TimelineEntry, error) {
	return s.timeline(ctx, contactID, &pos, limit)
}

func (s *Store) timeline(ctx context.Context, contactID int64, after *TimelinePos, limit int) ([]TimelineEntry, error) {
	var pos TimelinePos
	if after != nil {
		pos = *after
	}
	rows, err := s.query(ctx, timelineQuery, contactID, limit, after == nil, pos.At, pos.Rank, pos.Seq)
	return collect("timeline", rows, err, func(r scanner) (TimelineEntry, error) {
		var e TimelineEntry
		var at int64
		var status string
		err := r.Scan(&e.Kind, &at, &e.Ticket, &e.MessageID, &e.Subject, &status, &e.Author, &e.Text, &e.Pos.Rank, &e.Pos.Seq)
		e.At, e.Status, e.Pos.At = fromMS(at), ticket.Status(status), at
		return e, err
	})
}

// ContactByID returns a contact by id.
func (s *Store) ContactByID(ctx context.Context, id int64) (ticket.Contact, error) {
	c, err := scanContact(s.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contact id %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}
