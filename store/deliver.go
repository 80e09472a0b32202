package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// Now is the store's clock, for stamping rows written in this transaction,
// or the time SetTime gave.
func (tx *Tx) Now() time.Time {
	if !tx.at.IsZero() {
		return tx.at
	}
	return tx.s.now().UTC()
}

// SetTime makes the rows written from now on in this caller's share of the
// transaction carry t instead of the clock's time (zero: the clock again).
// An import of old mail files each message, its ticket and their events at
// the time the mail was written.
func (tx *Tx) SetTime(t time.Time) { tx.at = t.UTC() }

// Original is the stored message a retransmission repeats.
type Original struct {
	MessageID    int64
	TicketID     int64
	TicketNumber int64
}

// Retransmission looks for a message of the property with this Message-ID and
// content hash (the first stored, if several).
func (tx *Tx) Retransmission(propertyID int64, messageID, contentHash string) (Original, bool, error) {
	var o Original
	err := tx.queryRow(`SELECT m.id, t.id, t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE m.property_id = ? AND m.message_id = ? AND m.content_hash = ? ORDER BY m.id LIMIT 1`,
		propertyID, messageID, contentHash).Scan(&o.MessageID, &o.TicketID, &o.TicketNumber)
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, nil
	}
	if err != nil {
		return o, false, fmt.Errorf("find retransmission: %w", err)
	}
	return o, true, nil
}

// CreateTicket gives t the property's next number and its default department
// (unless t names one), and inserts it.
func (tx *Tx) CreateTicket(t *ticket.Ticket) error {
	err := tx.queryRow(`UPDATE properties SET next_ticket_number = next_ticket_number + 1
		WHERE id = ? RETURNING next_ticket_number - 1`, t.PropertyID).Scan(&t.Number)
	if err != nil {
		return fmt.Errorf("number ticket: %w", err)
	}
	now := tx.Now()
	t.CreatedAt, t.UpdatedAt = now, now
	var dept sql.NullInt64
	err = tx.queryRow(`INSERT INTO tickets (property_id, number, subject, status, priority,
		requester_id, assignee_id, department_id, linked_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT id FROM departments WHERE property_id = ? AND is_default = 1)), ?, ?, ?)
		RETURNING id, department_id`,
		t.PropertyID, t.Number, t.Subject, string(t.Status), string(t.Priority), t.RequesterID,
		nullID(t.AssigneeID), nullID(t.DepartmentID), t.PropertyID, nullID(t.LinkedID), ms(now), ms(now)).Scan(&t.ID, &dept)
	t.DepartmentID = dept.Int64
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	return nil
}

// AddParticipant records a contact as the ticket's requester or a Cc'd
// participant. Adding one twice is not an error.
func (tx *Tx) AddParticipant(ticketID, contactID int64, role string) error {
	_, err := tx.exec(`INSERT INTO ticket_participants (ticket_id, contact_id, role) VALUES (?, ?, ?)
		ON CONFLICT (ticket_id, contact_id) DO NOTHING`, ticketID, contactID, role)
	if err != nil {
		return fmt.Errorf("add participant: %w", err)
	}
	return nil
}

// PutBlob stores data under its SHA-256 (hex) unless it is already stored.
func (tx *Tx) PutBlob(sha string, data []byte) error {
	if data == nil {
		data = []byte{} // a part that decoded to nothing is stored empty, not NULL
	}
	_, err := tx.exec(`INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
		sha, len(data), data)
	if err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	return nil
}

// InsertMessage stores m with its raw bytes and its attachments (whose
// contents must already be stored with PutBlob), and sets their ids.
func (tx *Tx) InsertMessage(m *ticket.Message, raw []byte) error {
	if raw == nil {
		raw = []byte{} // an empty message is stored empty, not NULL
	}
	m.CreatedAt = tx.Now()
	err := tx.queryRow(`INSERT INTO messages (property_id, ticket_id, direction, kind,
		author_id, author_email, author_name, message_id, synthetic_id, in_reply_to, refs, reply_to, to_addrs,
		cc_addrs, subject, sent_at, text_body, html_body, raw_sha256, raw_size, content_hash, warnings,
		auto_reply, thread, created_at, raw, original_to, forwarded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.PropertyID, m.TicketID, string(m.Direction), string(m.Kind), m.AuthorID, m.AuthorEmail, m.AuthorName,
		m.MessageID, m.Synthetic, joinList(m.InReplyTo), joinList(m.References), joinList(m.ReplyTo),
		joinList(m.To), joinList(m.Cc), m.Subject, ms(m.Date), m.Text, m.HTML, m.RawSHA256, m.RawSize,
		m.ContentHash, joinList(m.Warnings), m.AutoReply, m.Thread, ms(m.CreatedAt), raw, m.OriginalTo, m.ForwardedBy).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.MessageID = m.ID
		err := tx.queryRow(`INSERT INTO attachments (message_id, filename, content_type, size,
			sha256, content_id, inline) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			m.ID, a.Filename, a.ContentType, a.Size, a.SHA256, a.ContentID, a.Inline).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
	}
	tx.emitMessage(m)
	return nil
}

// AddEvent appends an entry to the ticket's log.
func (tx *Tx) AddEvent(ticketID int64, kind, actor, detail string) error {
	_, err := tx.exec(`INSERT INTO events (ticket_id, kind, actor, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
		ticketID, kind, actor, detail, ms(tx.Now()))
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}

// nullID stores the id 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
