package store

import (
	"fmt"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// The writes of one ticket's row. Each changes the row and marks it
// updated; what the change means, who may make it and the event that
// records it are the desk's.

// SetStatus changes a ticket's status.
func (tx *Tx) SetStatus(ticketID int64, status ticket.Status) error {
	return tx.updateTicket("set status", ticketID, `status = ?`, string(status))
}

// SetAssignee assigns a ticket to a member (0 unassigns).
func (tx *Tx) SetAssignee(ticketID, memberID int64) error {
	return tx.updateTicket("assign", ticketID, `assignee_id = ?`, nullID(memberID))
}

// SetDepartment moves a ticket to a department.
func (tx *Tx) SetDepartment(ticketID, departmentID int64) error {
	return tx.updateTicket("set department", ticketID, `department_id = ?`, nullID(departmentID))
}

// SetPriority changes a ticket's priority.
func (tx *Tx) SetPriority(ticketID int64, p ticket.Priority) error {
	return tx.updateTicket("set priority", ticketID, `priority = ?`, string(p))
}

// SetTags replaces a ticket's tags, and its rows of ticket_tags (the
// index of the tag filter) with them.
func (tx *Tx) SetTags(ticketID int64, tags []string) error {
	if err := tx.updateTicket("set tags", ticketID, `tags = ?`, joinList(tags)); err != nil {
		return err
	}
	if _, err := tx.exec(`DELETE FROM ticket_tags WHERE ticket_id = ?`, ticketID); err != nil {
		return fmt.Errorf("set tags: %w", err)
	}
	for _, tag := range tags {
		_, err := tx.exec(`INSERT INTO ticket_tags (property_id, tag, ticket_id)
			SELECT property_id, ?, id FROM tickets WHERE id = ? ON CONFLICT DO NOTHING`, tag, ticketID)
		if err != nil {
			return fmt.Errorf("set tags: %w", err)
		}
	}
	return nil
}

// SetSnooze sets the time a snoozed ticket wakes (zero: none).
func (tx *Tx) SetSnooze(ticketID int64, until time.Time) error {
	return tx.updateTicket("snooze", ticketID, `snoozed_until = ?`, ms(until))
}

// SetClosed records why, by whom and when a ticket was closed (all zero
// when it is reopened).
func (tx *Tx) SetClosed(ticketID int64, reason ticket.CloseReason, by string, at time.Time) error {
	return tx.updateTicket("close", ticketID, `closed_reason = ?, closed_by = ?, closed_at = ?`, string(reason), by, ms(at))
}

// Touch marks a ticket updated now.
func (tx *Tx) Touch(ticketID int64) error {
	if _, err := tx.exec(`UPDATE tickets SET updated_at = ? WHERE id = ?`, ms(tx.Now()), ticketID); err != nil {
		return fmt.Errorf("touch ticket: %w", err)
	}
	return nil
}

// updateTicket sets columns of a ticket's row (set is "col = ?, ..." with
// args in order) and its updated_at.
func (tx *Tx) updateTicket(what string, ticketID int64, set string, args ...any) error {
	args = append(args, ms(tx.Now()), ticketID)
	if _, err := tx.exec(`UPDATE tickets SET `+set+`, updated_at = ? WHERE id = ?`, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
