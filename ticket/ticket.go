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
	ID          int64
	Slug        string
	Name        string
	Addresses   []string // inbound addresses, lower-case
	FromName    string   // display name on outbound mail
	FromAddress string   // address on outbound mail
	TagFormat   string   // subject tag, a fmt verb for the ticket number, e.g. "[#%d]"
	AckEnabled  bool     // acknowledge new tickets to the customer
	// AssignOnAnswer gives an unassigned ticket to the agent who answers
	// it (on unless an admin turned it off).
	AssignOnAnswer bool
	CreatedAt      time.Time
}

// Member is an agent or admin of a property.
type Member struct {
	ID         int64
	PropertyID int64
	Email      string
	Name       string
	Role       Role
	// Available members take new tickets by round-robin; Capacity caps
	// their open tickets for it (0: no cap).
	Available bool
	Capacity  int
	CreatedAt time.Time
}

// Department groups members; every property has one default department that
// new tickets go to.
type Department struct {
	ID         int64
	PropertyID int64
	Name       string
	IsDefault  bool
	Members    []string // member emails
}

// Contact is a person outside the team, created from the mail they send.
type Contact struct {
	ID         int64
	PropertyID int64
	Email      string
	Name       string
	Phone      string
	CreatedAt  time.Time
	// MergedInto is the contact this one was merged into (its address is
	// an alias of that contact's), or 0.
	MergedInto int64
	// Fields are the contact's custom fields (name → value), filled where
	// a contact is shown.
	Fields map[string]string `json:",omitempty"`
}

// Ticket is one conversation with a requester.
type Ticket struct {
	ID           int64
	PropertyID   int64
	Number       int64 // per property, shown as #N
	Subject      string
	Status       Status
	Priority     Priority
	RequesterID  int64
	Requester    string // requester's email, filled by reads
	AssigneeID   int64  // 0 when unassigned
	Assignee     string // assignee's email, filled by reads
	DepartmentID int64
	Department   string // department name, filled by reads
	LinkedID     int64  // the ticket this one continues (a reply to a deleted ticket), or 0
	Tags         []string
	TopicID      int64  // 0: no topic
	Topic        string // the topic's name, filled by reads
	SnoozedUntil time.Time
	// SLA: when the first answer and the resolution are due (zero: no
	// target), when the first answer came, and when the ticket was found
	// overdue (zero: it is not).
	FirstResponseDue time.Time
	ResolutionDue    time.Time
	FirstResponseAt  time.Time
	OverdueAt        time.Time
	// Closing: why, by whom and when (empty while not closed).
	ClosedReason CloseReason
	ClosedBy     string
	ClosedAt     time.Time
	MergedInto   int64 // the ticket this one was merged into, or 0
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Fields are the ticket's custom fields (name → value), filled where a
	// ticket is shown and where an event about it is sent.
	Fields map[string]string `json:",omitempty"`
}

// Ref is the ticket's number as shown to people.
func (t Ticket) Ref() string { return fmt.Sprintf("#%d", t.Number) }

// Message is one mail, note or event of a ticket.
type Message struct {
	ID          int64
	PropertyID  int64
	TicketID    int64
	Direction   Direction
	Kind        Kind
	AuthorID    int64 // contact id for inbound mail, member id for agent mail
	AuthorEmail string
	AuthorName  string
	MessageID   string // without angle brackets
	Synthetic   bool   // MessageID was made up because the mail had none usable
	InReplyTo   []string
	References  []string
	ReplyTo     []string
	To          []string
	Cc          []string
	Subject     string
	Date        time.Time // the Date header, zero when missing or broken
	Text        string
	HTML        string
	RawSHA256   string
	RawSize     int64
	ContentHash string   // identifies a retransmission of the same mail
	Warnings    []string // parser warnings on malformed mail
	AutoReply   bool     // an automatic reply (RFC 3834) or bulk mail
	Thread      string   // why the message went to its ticket
	// OriginalTo is the address a forwarded mail was first sent to (the
	// property's public address the customer wrote to), ForwardedBy the
	// mailbox that forwarded it and how that was seen; empty when the mail
	// came straight.
	OriginalTo  string
	ForwardedBy string
	Attachments []Attachment
	CreatedAt   time.Time
}

// Attachment is a file carried by a message. Content is stored once per hash.
type Attachment struct {
	ID          int64
	MessageID   int64
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	ContentID   string
	Inline      bool
}

// Event is one entry of a ticket's append-only log.
type Event struct {
	ID        int64
	TicketID  int64
	Kind      string
	Actor     string
	Detail    string
	CreatedAt time.Time
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
