package store

import (
	"context"
	"fmt"
	"strings"
)

// Proposed is an address a mail named in To or Cc that was not made a
// participant of its ticket.
type Proposed struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// ProposeParticipants records the addresses message messageID of ticket
// ticketID proposed but did not add.
func (tx *Tx) ProposeParticipants(ticketID, messageID int64, addrs []Proposed) error {
	for _, a := range addrs {
		_, err := tx.exec(`INSERT INTO proposed_participants (message_id, ticket_id, email, name) VALUES (?, ?, ?, ?)
			ON CONFLICT (message_id, email) DO NOTHING`, messageID, ticketID, strings.ToLower(a.Email), a.Name)
		if err != nil {
			return fmt.Errorf("propose participant: %w", err)
		}
	}
	return nil
}

// ProposedParticipants returns the addresses a message proposed and did not
// add, less those that have become participants of its ticket since.
func (s *Store) ProposedParticipants(ctx context.Context, messageID int64) ([]Proposed, error) {
	rows, err := s.query(ctx, `SELECT p.email, p.name FROM proposed_participants p WHERE p.message_id = ?
		AND NOT EXISTS (SELECT 1 FROM ticket_participants tp JOIN contacts c ON c.id = tp.contact_id
			WHERE tp.ticket_id = p.ticket_id AND c.email = p.email) ORDER BY p.id`, messageID)
	return collect("proposed participants", rows, err, func(r scanner) (Proposed, error) {
		var p Proposed
		return p, r.Scan(&p.Email, &p.Name)
	})
}

// SeenMessageIDs returns, oldest first, the Message-IDs of a ticket that a
// contact has seen: those of the mail the contact wrote to it, and those of
// the mail postdesk sent the contact about it before outbox row beforeRow.
// At most the newest n.
func (s *Store) SeenMessageIDs(ctx context.Context, ticketID, contactID, beforeRow int64, n int) ([]string, error) {
	rows, err := s.query(ctx, `SELECT id FROM (
			SELECT message_id AS id, created_at AS at, 0 AS seq, id AS rid FROM messages
				WHERE ticket_id = ? AND direction = 'inbound' AND author_id = ? AND synthetic_id = 0
			UNION ALL
			SELECT msg_id, created_at, 1, id FROM outbox
				WHERE ticket_id = ? AND rcpt_kind = 'contact' AND rcpt_id = ? AND id < ? AND status != 'failed'
			ORDER BY at DESC, seq DESC, rid DESC LIMIT ?) AS seen
		ORDER BY at, seq, rid`, ticketID, contactID, ticketID, contactID, beforeRow, n)
	return collect("seen message ids", rows, err, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// OwnAddress reports whether addr, or base (addr with its RFC 5233 detail
// removed), is one this gateway receives mail at or answers from: an
// address of any of its properties (base), or the address of a member of
// property propertyID (either). Such an address is never a participant: mail to it
// would come straight back in.
func (tx *Tx) OwnAddress(propertyID int64, addr, base string) (bool, error) {
	addr, base = strings.ToLower(addr), strings.ToLower(base)
	found, err := tx.exists(`SELECT 1 FROM property_addresses WHERE address = ?
		UNION ALL SELECT 1 FROM members WHERE property_id = ? AND email IN (?, ?) LIMIT 1`, base, propertyID, addr, base)
	if err != nil {
		return false, fmt.Errorf("own address check: %w", err)
	}
	return found, nil
}
