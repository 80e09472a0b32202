package store

import (
	"context"
	"fmt"
)

// TicketMarks are the newest message, event and bounce of a ticket (ids,
// 0 when it has none). A ticket's row tells what it is; its marks tell
// whether anything was added to it since, which its row alone may not (two
// notes in one millisecond). The API's ETag is made of both.
type TicketMarks struct {
	LastMessage int64 `json:"last_message"`
	LastEvent   int64 `json:"last_event"`
	LastBounce  int64 `json:"last_bounce"`
}

// ticketMarksQuery reads TicketMarks from the indexes messages_ticket,
// events_ticket and bounces_ticket, without touching the tables' rows.
const ticketMarksQuery = `SELECT
	(SELECT COALESCE(MAX(id), 0) FROM messages WHERE ticket_id = ?1),
	(SELECT COALESCE(MAX(id), 0) FROM events WHERE ticket_id = ?1),
	(SELECT COALESCE(MAX(id), 0) FROM bounces WHERE ticket_id = ?1)`

// TicketMarks returns the marks of a ticket as the transaction sees it.
func (tx *Tx) TicketMarks(ticketID int64) (TicketMarks, error) {
	var m TicketMarks
	if err := tx.queryRow(ticketMarksQuery, ticketID).Scan(&m.LastMessage, &m.LastEvent, &m.LastBounce); err != nil {
		return m, fmt.Errorf("ticket marks: %w", err)
	}
	return m, nil
}

// TicketMarks returns the marks of a ticket.
func (s *Store) TicketMarks(ctx context.Context, ticketID int64) (TicketMarks, error) {
	var m TicketMarks
	if err := s.queryRow(ctx, ticketMarksQuery, ticketID).Scan(&m.LastMessage, &m.LastEvent, &m.LastBounce); err != nil {
		return m, fmt.Errorf("ticket marks: %w", err)
	}
	return m, nil
}
