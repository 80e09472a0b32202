package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// contactColumns are what scanContact reads, in its order.
const contactColumns = `c.id, c.property_id, c.email, c.name, c.phone, c.created_at`

func scanContact(r scanner) (ticket.Contact, error) {
	var c ticket.Contact
	var created int64
	err := r.Scan(&c.ID, &c.PropertyID, &c.Email, &c.Name, &c.Phone, &created)
	c.CreatedAt = fromMS(created)
	return c, err
}

// Contact returns the property's contact with this address, creating it if it
// does not exist. A name is filled in when the contact had none.
func (tx *Tx) Contact(propertyID int64, email, name string) (ticket.Contact, error) {
	c, err := scanContact(tx.queryRow(`INSERT INTO contacts (property_id, email, name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (property_id, email) DO UPDATE SET name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END
		RETURNING id, property_id, email, name, phone, created_at`, propertyID, strings.ToLower(email), name, ms(tx.Now())))
	if err != nil {
		return c, fmt.Errorf("contact: %w", err)
	}
	return c, nil
}

// TicketParticipants returns the requester and Cc'd participants of a
// ticket: everyone an agent's answer goes to.
func (s *Store) TicketParticipants(ctx context.Context, ticketID int64) ([]ticket.Contact, error) {
	rows, err := s.query(ctx, `SELECT `+contactColumns+` FROM ticket_participants tp
		JOIN contacts c ON c.id = tp.contact_id WHERE tp.ticket_id = ? ORDER BY tp.role DESC, c.id`, ticketID)
	return collect("participants", rows, err, scanContact)
}

// Participants returns the requester and Cc'd participants of a ticket.
func (tx *Tx) Participants(ticketID int64) ([]ticket.Contact, error) {
	rows, err := tx.query(`SELECT `+contactColumns+` FROM ticket_participants tp
		JOIN contacts c ON c.id = tp.contact_id WHERE tp.ticket_id = ? ORDER BY tp.role DESC, c.id`, ticketID)
	return collect("participants", rows, err, scanContact)
}
