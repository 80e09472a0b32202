package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/ticket"
)

// The row moves of merging and splitting tickets. What may be merged or
// split, and the events that record it, are the desk's.

// MergeTicket moves what ticket source holds to ticket target: its
// messages (and with them their attachments), participants, proposed
// participants, events, bounces, the custom field values target lacks, and
// the mail still queued for it (which is then rendered as target's). Then
// source points to target (merged_into). Thread ids stay with source:
// threading follows merged_into, so mail that finds source by any id, token
// or tag lands in target, and no index over every thread id is needed.
func (tx *Tx) MergeTicket(sourceID, targetID int64) error {
	steps := []struct{ what, q string }{
		{"messages", `UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1`},
		{"participants", `INSERT INTO ticket_participants (ticket_id, contact_id, role)
			SELECT ?2, contact_id, CASE WHEN role = 'requester' THEN 'cc' ELSE role END FROM ticket_participants WHERE ticket_id = ?1
			ON CONFLICT (ticket_id, contact_id) DO NOTHING`},
		{"participants", `DELETE FROM ticket_participants WHERE ticket_id = ?1`},
		{"proposed participants", `UPDATE proposed_participants SET ticket_id = ?2 WHERE ticket_id = ?1`},
		{"events", `UPDATE events SET ticket_id = ?2 WHERE ticket_id = ?1`},
		{"bounces", `UPDATE bounces SET ticket_id = ?2 WHERE ticket_id = ?1`},
		{"fields", `INSERT INTO field_values (field_id, object_id, value)
			SELECT v.field_id, ?2, v.value FROM field_values v JOIN fields f ON f.id = v.field_id AND f.target = 'ticket'
			WHERE v.object_id = ?1 ON CONFLICT (field_id, object_id) DO NOTHING`},
		{"fields", `DELETE FROM field_values WHERE object_id = ?1 AND field_id IN (SELECT id FROM fields WHERE target = 'ticket')`},
		{"queued mail", `UPDATE outbox SET ticket_id = ?2 WHERE status = 'queued' AND ticket_id = ?1`},
	}
	for _, s := range steps {
		if _, err := tx.exec(s.q, sourceID, targetID); err != nil {
			return fmt.Errorf("merge ticket: move %s: %w", s.what, err)
		}
	}
	return tx.updateTicket("merge ticket", sourceID, `merged_into = ?`, targetID)
}

// MoveMessage moves a message (with its attachments and proposed
// participants) from its ticket to ticket to, and the thread ids of its
// own Message-ID with it, so that replies to it find the new ticket. The
// ids it referenced stay with the old ticket.
func (tx *Tx) MoveMessage(propertyID, messageID, from, to int64) error {
	var msgID string
	err := tx.queryRow(`UPDATE messages SET ticket_id = ? WHERE id = ? AND ticket_id = ? AND property_id = ? RETURNING message_id`,
		to, messageID, from, propertyID).Scan(&msgID)
	if err != nil {
		return fmt.Errorf("move message %d: %w", messageID, err)
	}
	if _, err := tx.exec(`UPDATE proposed_participants SET ticket_id = ? WHERE message_id = ?`, to, messageID); err != nil {
		return fmt.Errorf("move message %d: proposed participants: %w", messageID, err)
	}
	_, err = tx.exec(`UPDATE OR REPLACE thread_ids SET ticket_id = ? WHERE property_id = ? AND msg_id = ?
		AND kind IN ('inbound', 'outbound', 'alias') AND ticket_id = ?`, to, propertyID, msgID, from)
	if err != nil {
		return fmt.Errorf("move message %d: thread ids: %w", messageID, err)
	}
	return nil
}

// MessageOf returns a message of a ticket (by id), without attachments.
func (tx *Tx) MessageOf(ticketID, messageID int64) (ticket.Message, bool, error) {
	m, err := scanMessage(tx.queryRow(`SELECT `+messageColumns+` FROM messages WHERE id = ? AND ticket_id = ?`, messageID, ticketID))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return m, false, nil
		}
		return m, false, fmt.Errorf("get message: %w", err)
	}
	return m, true, nil
}

// CountMessages counts a ticket's messages.
func (tx *Tx) CountMessages(ticketID int64) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM messages WHERE ticket_id = ?`, ticketID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}
