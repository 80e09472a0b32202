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
	// Each step gets the arguments it names (?1 sourceID, ?2 targetID): PostgreSQL
	// refuses an argument its statement does not use.
	one, both := []any{sourceID}, []any{sourceID, targetID}
	steps := []struct {
		what, q string
		args    []any
	}{
		{"messages", `UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1`, both},
		{"participants", `INSERT INTO ticket_participants (ticket_id, contact_id, role)
			SELECT ?2, contact_id, CASE WHEN role = 'requester' THEN 'cc' ELSE role END FROM ticket_participants WHERE ticket_id = ?1
			ON CONFLICT (ticket_id, contact_id) DO NOTHING`, both},
		{"participants", `DELETE FROM ticket_participants WHERE ticket_id = ?1`, one},
		{"proposed participants", `UPDATE proposed_participants SET ticket_id = ?2 WHERE ticket_id = ?1`, both},
		{"events", `UPDATE events SET ticket_id = ?2 WHERE ticket_id = ?1`, both},
		{"bounces", `UPDATE bounces SET ticket_id = ?2 WHERE ticket_id = ?1`, both},
		{"fields", `INSERT INTO field_values (field_id, object_id, value)
			SELECT v.field_id, ?2, v.value FROM field_values v JOIN fields f ON f.id = v.field_id AND f.target = 'ticket'
			WHERE v.object_id = ?1 ON CONFLICT (field_id, object_id) DO NOTHING`, both},
		{"fields", `DELETE FROM field_values WHERE object_id = ?1 AND field_id IN (SELECT id FROM fields WHERE target = 'ticket')`, one},
		{"queued mail", `UPDATE outbox SET ticket_id = ?2 WHERE status = 'queued' AND ticket_id = ?1`, both},
	}
	for _, s := range steps {
		if _, err := tx.exec(s.q, s.args...); err != nil {
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
	// The ids move; where ticket to holds one already (same id and kind),
	// its row stays and the moving one goes.
	_, err = tx.exec(`DELETE FROM thread_ids WHERE property_id = ?1 AND msg_id = ?2 AND ticket_id = ?3
		AND kind IN ('inbound', 'outbound', 'alias') AND kind IN (SELECT kind FROM thread_ids
			WHERE property_id = ?1 AND msg_id = ?2 AND ticket_id = ?4)`, propertyID, msgID, from, to)
	if err == nil {
		_, err = tx.exec(`UPDATE thread_ids SET ticket_id = ?4 WHERE property_id = ?1 AND msg_id = ?2
			AND kind IN ('inbound', 'outbound', 'alias') AND ticket_id = ?3`, propertyID, msgID, from, to)
	}
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
