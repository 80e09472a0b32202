package desk

import (
	"errors"
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/ticket"
)

// NewTicket is a ticket a member opens by hand: for a customer who phoned,
// or to write to one first.
type NewTicket struct {
	// Requester is the customer's address. With NewContact unset it must
	// be a contact already; with NewContact set the contact is made (or,
	// if the address is one already, found) with Name and Phone, which
	// fill in what the contact lacked.
	Requester  string
	NewContact bool
	Name       string
	Phone      string

	Subject    string
	Text       string
	Files      []File
	Priority   ticket.Priority // "": medium
	Tags       []string
	Topic      string // "": none; else a topic of the property
	Department string // "": the property's default department
	// Assignee is the member's address; "" means the creator, unless
	// Unassigned is set.
	Assignee   string
	Unassigned bool
	// NoMail records a phone call: the message is stored as an internal
	// note marked as a phone call, and nobody is mailed.
	NoMail bool
}

// PhoneCall marks the first message of a ticket opened with NoMail: an
// internal note whose thread says it records a phone call.
const PhoneCall = "phone call (recorded by hand, not mailed)"

// maxSubject bounds a subject, in characters (one header line of RFC 5322
// §2.1.1 with room for the tag and "Re: ").
const maxSubject = 200

// Create opens a ticket as the acting member. Through Open, so SLA clocks
// start (routing does nothing: the ticket has an assignee, or was asked to
// stay with its department). The
// first message is stored as the member's answer and mailed to the
// requester with her signed Reply-To, so that her reply threads into the
// ticket; the assignee, or the department's members while it has none, get
// a copy, never the creator. With NoMail nothing is mailed to anyone.
func (o *Op) Create(n NewTicket) (ticket.Ticket, *ticket.Message, error) {
	if !o.Actor.IsMember() {
		return ticket.Ticket{}, nil, forbidden("%s: only a member may open a ticket by hand", o.Actor)
	}
	t, err := o.newTicket(n)
	if err != nil {
		return t, nil, err
	}
	requester, err := o.requester(n)
	if err != nil {
		return t, nil, err
	}
	how := "by hand by " + o.Actor.String() + ", mailed to " + requester.Email
	if n.NoMail {
		how = "by hand by " + o.Actor.String() + " from a phone call (not mailed)"
	}
	if err := o.Open(&t, requester, how); err != nil {
		return t, nil, err
	}
	if err := o.dress(&t, n); err != nil {
		return t, nil, err
	}
	return o.firstMessage(&t, requester, n)
}

// newTicket validates what Create is given about the ticket itself, every
// problem at once, and returns the ticket to open.
func (o *Op) newTicket(n NewTicket) (ticket.Ticket, error) {
	t := ticket.Ticket{Subject: strings.TrimSpace(n.Subject), Status: ticket.StatusOpen, Priority: n.Priority}
	var errs []error
	switch {
	case t.Subject == "":
		errs = append(errs, invalid("subject: required"))
	case len([]rune(t.Subject)) > maxSubject || strings.IndexFunc(t.Subject, unicode.IsControl) >= 0:
		errs = append(errs, invalid("subject: one line of at most %d characters", maxSubject))
	}
	if strings.TrimSpace(n.Text) == "" {
		errs = append(errs, invalid("message: required"))
	}
	if t.Priority != "" && t.Priority.Rank() == 0 {
		errs = append(errs, invalid("priority: unknown priority %q", t.Priority))
	}
	for _, tag := range n.Tags {
		if _, err := ParseTag(tag); err != nil {
			errs = append(errs, err)
		}
	}
	if n.Assignee != "" && n.Unassigned {
		errs = append(errs, invalid("give an assignee or unassigned, not both"))
	}
	if err := o.placeTicket(&t, n); err != nil {
		errs = append(errs, err)
	}
	return t, errors.Join(errs...)
}

// placeTicket sets t's department and assignee.
func (o *Op) placeTicket(t *ticket.Ticket, n NewTicket) error {
	if n.Department != "" {
		id, found, err := o.Tx.DepartmentNamed(o.Prop().ID, n.Department)
		if err != nil {
			return err
		}
		if !found {
			return &opError{ErrNotFound, "department: no department " + quote(n.Department) + " in " + o.Prop().Slug}
		}
		t.DepartmentID = id
	}
	switch {
	case n.Unassigned: // on purpose: left with the department, not routed
		o.handedOff = true
		return nil
	case n.Assignee == "":
		t.AssigneeID, t.Assignee = o.Actor.Member.ID, o.Actor.Member.Email
		return nil
	}
	m, found, err := o.Tx.MemberByEmail(o.Prop().ID, strings.TrimSpace(n.Assignee))
	if err != nil {
		return err
	}
	if !found {
		return &opError{ErrNotFound, "assignee: " + n.Assignee + " is not a member of " + o.Prop().Slug}
	}
	t.AssigneeID, t.Assignee = m.ID, m.Email
	return nil
}

// requester finds or makes the ticket's requester.
func (o *Op) requester(n NewTicket) (ticket.Contact, error) {
	addr, err := ticket.ParseAddress(n.Requester)
	if err != nil {
		return ticket.Contact{}, invalid("requester: %v", err)
	}
	if err := ticket.CheckName(n.Name, false); err != nil {
		return ticket.Contact{}, invalid("name: %v", err)
	}
	phone, err := ParsePhone(n.Phone)
	if err != nil {
		return ticket.Contact{}, err
	}
	if o.Prop().Owns(addr) {
		return ticket.Contact{}, invalid("requester: %s is an address of %s itself", addr, o.Prop().Slug)
	}
	if _, member, err := o.Tx.MemberByEmail(o.Prop().ID, addr); err != nil || member {
		return ticket.Contact{}, errors.Join(err, invalidIf(member, "requester: %s is a member, not a customer", addr))
	}
	c, found, err := o.Tx.LookupContact(o.Prop().ID, addr)
	if err != nil {
		return c, err
	}
	if !found && !n.NewContact {
		return c, &opError{ErrNotFound, "requester: " + addr + " is not a contact of " + o.Prop().Slug +
			"; give --name and --email to add her"}
	}
	if c, err = o.Tx.Contact(o.Prop().ID, addr, strings.TrimSpace(n.Name)); err != nil {
		return c, err
	}
	if phone != "" && c.Phone == "" {
		if err := o.Tx.SetContactPhone(c.ID, phone); err != nil {
			return c, err
		}
		c.Phone = phone
	}
	return c, nil
}

func invalidIf(cond bool, format string, args ...any) error {
	if !cond {
		return nil
	}
	return invalid(format, args...)
}

// ParsePhone validates a phone number: digits, spaces and "+-()./", with
// 3 to 20 digits. "" is no number.
func ParsePhone(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", nil
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case !strings.ContainsRune(" +-()./", r):
			return "", invalid("phone %q: digits, spaces and + - ( ) . / only", s)
		}
	}
	if digits < 3 || digits > 20 || len(s) > 40 {
		return "", invalid("phone %q: 3 to 20 digits", s)
	}
	return s, nil
}

// dress gives a new ticket its tags and topic.
func (o *Op) dress(t *ticket.Ticket, n NewTicket) error {
	for _, tag := range n.Tags {
		if err := o.AddTag(t, tag); err != nil {
			return err
		}
	}
	if n.Topic != "" {
		return o.SetTopic(t, n.Topic)
	}
	return nil
}

// firstMessage stores the creator's message and sends it: the requester
// gets it as ticket mail, the team a copy. A phone call is a note that
// goes to nobody.
func (o *Op) firstMessage(t *ticket.Ticket, requester ticket.Contact, n NewTicket) (ticket.Ticket, *ticket.Message, error) {
	kind, thread := ticket.KindEmail, ""
	if n.NoMail {
		kind, thread = ticket.KindNote, PhoneCall
	}
	m, err := o.write(t, kind, thread, n.Text, n.Files)
	if err != nil || n.NoMail {
		return *t, m, err
	}
	// Answered, but not through Op.Answered: its assign-on-answer would
	// give a ticket opened --unassigned to its creator.
	if err := o.firstResponse(t); err != nil {
		return *t, m, err
	}
	if err := o.SetStatus(t, ticket.StatusAnswered, "first message mailed by "+o.Actor.String()); err != nil {
		return *t, m, err
	}
	if err := o.Queue.ToContact(ticket.OutReply, *t, m.ID, requester); err != nil {
		return *t, m, err
	}
	return *t, m, o.Queue.Copies(*t, m.ID, o.Actor.Member.ID)
}
