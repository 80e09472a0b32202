package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/postdesk/postdesk/ticket"
)

const ticketColumns = `t.id, t.property_id, t.number, t.subject, t.status, t.priority, t.requester_id,
	c.email, COALESCE(t.assignee_id, 0), COALESCE(a.email, ''), COALESCE(t.department_id, 0),
	COALESCE(d.name, ''), COALESCE(t.linked_id, 0), t.tags, COALESCE(t.topic_id, 0), COALESCE(tp.name, ''),
	t.snoozed_until, t.first_response_due, t.resolution_due, t.first_response_at, t.overdue_at,
	t.closed_reason, t.closed_by, t.closed_at, COALESCE(t.merged_into, 0), t.created_at, t.updated_at`

const ticketJoins = ` FROM tickets t JOIN contacts c ON c.id = t.requester_id
	LEFT JOIN members a ON a.id = t.assignee_id LEFT JOIN departments d ON d.id = t.department_id
	LEFT JOIN topics tp ON tp.id = t.topic_id`

func scanTicket(row scanner) (ticket.Ticket, error) {
	var t ticket.Ticket
	var status, prio, tags, reason string
	var created, updated, snoozed, frDue, resDue, frAt, overdue, closed int64
	err := row.Scan(&t.ID, &t.PropertyID, &t.Number, &t.Subject, &status, &prio, &t.RequesterID, &t.Requester,
		&t.AssigneeID, &t.Assignee, &t.DepartmentID, &t.Department, &t.LinkedID, &tags, &t.TopicID, &t.Topic,
		&snoozed, &frDue, &resDue, &frAt, &overdue, &reason, &t.ClosedBy, &closed, &t.MergedInto, &created, &updated)
	t.Tags, t.SnoozedUntil = splitList(tags), fromMS(snoozed)
	t.Status, t.Priority, t.ClosedReason = ticket.Status(status), ticket.Priority(prio), ticket.CloseReason(reason)
	t.FirstResponseDue, t.ResolutionDue, t.FirstResponseAt = fromMS(frDue), fromMS(resDue), fromMS(frAt)
	t.OverdueAt, t.ClosedAt = fromMS(overdue), fromMS(closed)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, err
}

// Tickets lists the tickets of a property, newest first. An empty status
// lists every status but merged tickets (their conversation goes on in the
// ticket they were merged into); asking for closed ones shows them too.
func (s *Store) Tickets(ctx context.Context, slug string, status ticket.Status) ([]ticket.Ticket, error) {
	q := `SELECT ` + ticketColumns + ticketJoins + ` JOIN properties p ON p.id = t.property_id
		WHERE p.slug = ? AND (? = '' AND t.merged_into IS NULL OR t.status = ?) ORDER BY t.number DESC`
	rows, err := s.query(ctx, q, slug, string(status), string(status))
	return collect("list tickets", rows, err, scanTicket)
}

// Ticket returns ticket number n of the property with the given slug.
func (s *Store) Ticket(ctx context.Context, slug string, n int64) (ticket.Ticket, error) {
	q := `SELECT ` + ticketColumns + ticketJoins + ` JOIN properties p ON p.id = t.property_id
		WHERE p.slug = ? AND t.number = ?`
	t, err := scanTicket(s.queryRow(ctx, q, slug, n))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket #%d of %s: %w", n, slug, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get ticket: %w", err)
	}
	return t, nil
}

const messageColumns = `id, property_id, ticket_id, direction, kind, author_id, author_email, author_name,
	message_id, synthetic_id, in_reply_to, refs, reply_to, to_addrs, cc_addrs, subject, sent_at, text_body,
	html_body, raw_sha256, raw_size, content_hash, warnings, auto_reply, thread, created_at, original_to, forwarded_by`

func scanMessage(row scanner) (ticket.Message, error) {
	var m ticket.Message
	var dir, kind, irt, refs, replyTo, to, cc, warnings string
	var sent, created int64
	err := row.Scan(&m.ID, &m.PropertyID, &m.TicketID, &dir, &kind, &m.AuthorID, &m.AuthorEmail, &m.AuthorName,
		&m.MessageID, &m.Synthetic, &irt, &refs, &replyTo, &to, &cc, &m.Subject, &sent, &m.Text, &m.HTML,
		&m.RawSHA256, &m.RawSize, &m.ContentHash, &warnings, &m.AutoReply, &m.Thread, &created, &m.OriginalTo, &m.ForwardedBy)
	m.Direction, m.Kind = ticket.Direction(dir), ticket.Kind(kind)
	m.InReplyTo, m.References, m.ReplyTo = splitList(irt), splitList(refs), splitList(replyTo)
	m.To, m.Cc, m.Warnings = splitList(to), splitList(cc), splitList(warnings)
	m.Date, m.CreatedAt = fromMS(sent), fromMS(created)
	return m, err
}

// Messages returns the messages of a ticket in the order they were stored,
// with their attachments.
func (s *Store) Messages(ctx context.Context, ticketID int64) ([]ticket.Message, error) {
	rows, err := s.query(ctx, `SELECT `+messageColumns+` FROM messages WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	var out []ticket.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	for i := range out {
		if out[i].Attachments, err = s.Attachments(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Message returns one message by id, with its attachments.
func (s *Store) Message(ctx context.Context, id int64) (ticket.Message, error) {
	m, err := scanMessage(s.queryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("get message: %w", err)
	}
	m.Attachments, err = s.Attachments(ctx, id)
	return m, err
}

// Attachments lists the attachments of a message.
func (s *Store) Attachments(ctx context.Context, messageID int64) ([]ticket.Attachment, error) {
	rows, err := s.query(ctx, `SELECT id, message_id, filename, content_type, size, sha256, content_id, inline
		FROM attachments WHERE message_id = ? ORDER BY id`, messageID)
	return collect("list attachments", rows, err, func(r scanner) (ticket.Attachment, error) {
		var a ticket.Attachment
		err := r.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.ContentID, &a.Inline)
		return a, err
	})
}

// Events returns the log of a ticket, oldest first.
func (s *Store) Events(ctx context.Context, ticketID int64) ([]ticket.Event, error) {
	rows, err := s.query(ctx, `SELECT id, ticket_id, kind, actor, detail, created_at
		FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	return collect("list events", rows, err, func(r scanner) (ticket.Event, error) {
		var e ticket.Event
		var created int64
		err := r.Scan(&e.ID, &e.TicketID, &e.Kind, &e.Actor, &e.Detail, &created)
		e.CreatedAt = fromMS(created)
		return e, err
	})
}

// Blob returns the bytes stored under a SHA-256 (hex).
func (s *Store) Blob(ctx context.Context, sha string) ([]byte, error) {
	var data []byte
	err := s.queryRow(ctx, `SELECT data FROM blobs WHERE sha256 = ?`, sha).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("blob %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob: %w", err)
	}
	return data, nil
}

// RawMessage returns the bytes of message id exactly as they were received.
func (s *Store) RawMessage(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	var sha string
	err := s.queryRow(ctx, `SELECT raw, raw_sha256 FROM messages WHERE id = ?`, id).Scan(&raw, &sha)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("raw message: %w", err)
	}
	if raw == nil { // stored before migration 0004
		return s.Blob(ctx, sha)
	}
	return raw, nil
}

// TicketByID returns a ticket by id.
func (s *Store) TicketByID(ctx context.Context, id int64) (ticket.Ticket, error) {
	t, err := scanTicket(s.queryRow(ctx, `SELECT `+ticketColumns+ticketJoins+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket id %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get ticket: %w", err)
	}
	return t, nil
}

// LatestMessages returns up to n of a ticket's newest messages of the given
// direction ("" for both), oldest first, without bodies' attachments.
func (s *Store) LatestMessages(ctx context.Context, ticketID int64, direction ticket.Direction, n int) ([]ticket.Message, error) {
	rows, err := s.query(ctx, `SELECT `+messageColumns+` FROM messages WHERE ticket_id = ? AND (? = '' OR direction = ?)
		ORDER BY id DESC LIMIT ?`, ticketID, string(direction), string(direction), n)
	out, err := collect("latest messages", rows, err, scanMessage)
	slices.Reverse(out)
	return out, err
}

// MessageIDCounts counts the stored inbound messages of each Message-ID
// beginning with prefix: how the load tool checks that every accepted
// message was stored exactly once.
func (s *Store) MessageIDCounts(ctx context.Context, prefix string) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT message_id, COUNT(*) FROM messages WHERE message_id >= ? AND message_id < ?
		AND direction = 'inbound' GROUP BY message_id`, prefix, successor(prefix))
	if err != nil {
		return nil, fmt.Errorf("count message ids: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count message ids: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// successor is the smallest string greater than every string with prefix p
// (p with its last byte incremented), for index range scans.
func successor(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0x7f {
			b[i]++
			return string(b[:i+1])
		}
	}
	return p + "\x7f"
}
