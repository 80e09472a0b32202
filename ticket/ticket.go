// Package ticket holds postdesk's domain types: properties and their members,
// departments, contacts, tickets, messages, attachments and ticket events,
// custom fields, and the words of mail (outbox kinds and states, held mail,
// delivery reports and suppressions).
//
// It is the lowest package of the tree: it imports nothing of postdesk and does
// no I/O. Every other package speaks in these types.
package ticket

import (
	"fmt"
	"strings"
	"time"
)

// Status is where a ticket stands in its life.
type Status string

// The statuses a ticket can have.
const (
	StatusOpen     Status = "open"
	StatusAnswered Status = "answered"
	StatusSnoozed  Status = "snoozed"
	StatusClosed   Status = "closed"
	StatusDeleted  Status = "deleted"
	StatusSpam     Status = "spam"
)

// oneOf reads s, in any letter case and with spaces around it, as one of
// the words of an enumeration.
func oneOf[T ~string](s string, known ...T) (T, bool) {
	w := T(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range known {
		if w == k {
			return w, true
		}
	}
	return w, false
}

// ParseStatus validates s as a Status.
func ParseStatus(s string) (Status, error) {
	if st, ok := oneOf(s, StatusOpen, StatusAnswered, StatusSnoozed, StatusClosed, StatusDeleted, StatusSpam); ok {
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q (want open, answered, snoozed, closed, deleted or spam)", s)
}

// Priority orders tickets by urgency.
type Priority string

// The five priorities a ticket can have, lowest first; PriorityMedium is
// the default.
const (
	PriorityLowest  Priority = "lowest"
	PriorityLow     Priority = "low"
	PriorityMedium  Priority = "medium"
	PriorityHigh    Priority = "high"
	PriorityHighest Priority = "highest"
)

// Priorities lists the priorities, lowest first.
func Priorities() []Priority {
	return []Priority{PriorityLowest, PriorityLow, PriorityMedium, PriorityHigh, PriorityHighest}
}

// ParsePriority validates s as a Priority. The words of the four priorities
// postdesk had before (normal, urgent) are accepted as medium and highest.
func ParsePriority(s string) (Priority, error) {
	p, ok := oneOf(s, Priorities()...)
	switch {
	case ok:
		return p, nil
	case p == "normal":
		return PriorityMedium, nil
	case p == "urgent":
		return PriorityHighest, nil
	}
	return "", fmt.Errorf("unknown priority %q (want lowest, low, medium, high or highest)", s)
}

// Rank orders priorities: 1 for lowest up to 5 for highest, 0 for none.
func (p Priority) Rank() int {
	for i, q := range Priorities() {
		if p == q {
			return i + 1
		}
	}
	return 0
}

// CloseReason says why a ticket was closed: a guide teams follow says to
// close as resolved or cancelled rather than delete.
type CloseReason string

// The reasons to close a ticket.
const (
	ClosedResolved  CloseReason = "resolved"
	ClosedCancelled CloseReason = "cancelled"
)

// ParseCloseReason validates s as a CloseReason; empty is resolved.
func ParseCloseReason(s string) (CloseReason, error) {
	if r, ok := oneOf(s, "", ClosedResolved, ClosedCancelled); ok {
		if r == "" {
			return ClosedResolved, nil
		}
		return r, nil
	}
	return "", fmt.Errorf("unknown reason %q (want resolved or cancelled)", s)
}

// Role is what a member may do in a property.
type Role string

// The roles of a member.
const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// ParseRole validates s as a Role.
func ParseRole(s string) (Role, error) {
	if r, ok := oneOf(s, RoleAdmin, RoleAgent); ok {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want admin or agent)", s)
}

// Direction tells whether a message came in or went out.
type Direction string

// The directions of a message.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// Kind tells what a message is: mail, an internal note, or a recorded event.
type Kind string

// The kinds of message. Mail an agent sent from their mail client is
// KindEmail with Direction Outbound.
const (
	KindEmail Kind = "email"
	KindNote  Kind = "note"
	KindEvent Kind = "event"
)

// Property is one brand or site: its inbound addresses, members and
// departments. Nothing crosses from one property to another.
type Property struct {
	ID          int64    `json:"id"`
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Addresses   []string `json:"addresses,omitempty"` // inbound addresses, lower-case
	FromName    string   `json:"from_name"`           // display name on outbound mail
	FromAddress string   `json:"from_address"`        // address on outbound mail
	TagFormat   string   `json:"tag_format"`          // subject tag, a fmt verb for the ticket number, e.g. "[#%d]"
	AckEnabled  bool     `json:"ack_enabled"`         // acknowledge new tickets to the customer
	// AssignOnAnswer gives an unassigned ticket to the agent who answers
	// it (on unless an admin turned it off).
	AssignOnAnswer bool      `json:"assign_on_answer"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
}

// Member is an agent or admin of a property.
type Member struct {
	ID         int64  `json:"id"`
	PropertyID int64  `json:"property_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	// Available members take new tickets by round-robin; Capacity caps
	// their open tickets for it (0: no cap).
	Available bool      `json:"available"`
	Capacity  int       `json:"capacity"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Department groups members; every property has one default department that
// new tickets go to.
type Department struct {
	ID         int64    `json:"id"`
	PropertyID int64    `json:"property_id"`
	Name       string   `json:"name"`
	IsDefault  bool     `json:"is_default"`
	Members    []string `json:"members,omitempty"` // member emails
}

// Contact is a person outside the team, created from the mail they send.
type Contact struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"property_id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// MergedInto is the contact this one was merged into (its address is
	// an alias of that contact's), or 0.
	MergedInto int64 `json:"merged_into"`
	// Fields are the contact's custom fields (name → value), filled where
	// a contact is shown.
	Fields map[string]string `json:"fields,omitempty"`
}

// Ticket is one conversation with a requester.
type Ticket struct {
	ID           int64     `json:"id"`
	PropertyID   int64     `json:"property_id"`
	Number       int64     `json:"number"` // per property, shown as #N
	Subject      string    `json:"subject"`
	Status       Status    `json:"status"`
	Priority     Priority  `json:"priority"`
	RequesterID  int64     `json:"requester_id"`
	Requester    string    `json:"requester"`   // requester's email, filled by reads
	AssigneeID   int64     `json:"assignee_id"` // 0 when unassigned
	Assignee     string    `json:"assignee"`    // assignee's email, filled by reads
	DepartmentID int64     `json:"department_id"`
	Department   string    `json:"department"` // department name, filled by reads
	LinkedID     int64     `json:"linked_id"`  // the ticket this one continues (a reply to a deleted ticket), or 0
	Tags         []string  `json:"tags,omitempty"`
	TopicID      int64     `json:"topic_id"` // 0: no topic
	Topic        string    `json:"topic"`    // the topic's name, filled by reads
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	// SLA: when the first answer and the resolution are due (zero: no
	// target), when the first answer came, and when the ticket was found
	// overdue (zero: it is not).
	FirstResponseDue time.Time `json:"first_response_due,omitzero"`
	ResolutionDue    time.Time `json:"resolution_due,omitzero"`
	FirstResponseAt  time.Time `json:"first_response_at,omitzero"`
	OverdueAt        time.Time `json:"overdue_at,omitzero"`
	// Closing: why, by whom and when (empty while not closed).
	ClosedReason CloseReason `json:"closed_reason"`
	ClosedBy     string      `json:"closed_by"`
	ClosedAt     time.Time   `json:"closed_at,omitzero"`
	MergedInto   int64       `json:"merged_into"` // the ticket this one was merged into, or 0
	CreatedAt    time.Time   `json:"created_at,omitzero"`
	UpdatedAt    time.Time   `json:"updated_at,omitzero"`
	// Fields are the ticket's custom fields (name → value), filled where a
	// ticket is shown and where an event about it is sent.
	Fields map[string]string `json:"fields,omitempty"`
}

// Ref is the ticket's number as shown to people.
func (t Ticket) Ref() string { return fmt.Sprintf("#%d", t.Number) }

// Message is one mail, note or event of a ticket.
type Message struct {
	ID          int64     `json:"id"`
	PropertyID  int64     `json:"property_id"`
	TicketID    int64     `json:"ticket_id"`
	Direction   Direction `json:"direction"`
	Kind        Kind      `json:"kind"`
	AuthorID    int64     `json:"author_id"` // contact id for inbound mail, member id for agent mail
	AuthorEmail string    `json:"author_email"`
	AuthorName  string    `json:"author_name"`
	MessageID   string    `json:"message_id"` // without angle brackets
	Synthetic   bool      `json:"synthetic"`  // MessageID was made up because the mail had none usable
	InReplyTo   []string  `json:"in_reply_to,omitempty"`
	References  []string  `json:"references,omitempty"`
	ReplyTo     []string  `json:"reply_to,omitempty"`
	To          []string  `json:"to,omitempty"`
	Cc          []string  `json:"cc,omitempty"`
	Subject     string    `json:"subject"`
	Date        time.Time `json:"date,omitzero"` // the Date header, zero when missing or broken
	Text        string    `json:"text"`
	HTML        string    `json:"html"`
	RawSHA256   string    `json:"raw_sha256"`
	RawSize     int64     `json:"raw_size"`
	ContentHash string    `json:"content_hash"`       // identifies a retransmission of the same mail
	Warnings    []string  `json:"warnings,omitempty"` // parser warnings on malformed mail
	AutoReply   bool      `json:"auto_reply"`         // an automatic reply (RFC 3834) or bulk mail
	Thread      string    `json:"thread"`             // why the message went to its ticket
	// OriginalTo is the address a forwarded mail was first sent to (the
	// property's public address the customer wrote to), ForwardedBy the
	// mailbox that forwarded it and how that was seen; empty when the mail
	// came straight.
	OriginalTo  string       `json:"original_to"`
	ForwardedBy string       `json:"forwarded_by"`
	Attachments []Attachment `json:"attachments,omitempty"`
	CreatedAt   time.Time    `json:"created_at,omitzero"`
}

// Attachment is a file carried by a message. Content is stored once per hash.
type Attachment struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"message_id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentID   string `json:"content_id"`
	Inline      bool   `json:"inline"`
}

// Event is one entry of a ticket's append-only log.
type Event struct {
	ID        int64     `json:"id"`
	TicketID  int64     `json:"ticket_id"`
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Owns reports whether addr is one of the property's addresses, with or
// without a +subaddress, in any letter case.
func (p Property) Owns(addr string) bool {
	base := strings.ToLower(BaseAddress(addr))
	for _, own := range p.Addresses {
		if own == base {
			return true
		}
	}
	return false
}

// BaseAddress removes a subaddress (RFC 5233: local+detail@domain): mail to
// support+anything@ is mail to support@, and the detail may carry a reply
// token.
func BaseAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

// Domain returns the domain of an address, lower-cased.
func Domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}
