package ingest

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// outbox enqueues, inside the delivery transaction, the mail a delivery
// causes. Each row gets its own signed Message-ID, recorded as a thread id of
// the ticket so that replies to it find their way back.
type outbox struct {
	p     *Pipeline
	tx    *store.Tx
	prop  ticket.Property
	count *int // rows enqueued by this delivery
}

// toContact enqueues a mail of the given kind to a contact about message
// msgID of ticket t. Suppressed addresses and the property's own addresses
// get nothing.
func (o outbox) toContact(kind string, t ticket.Ticket, msgID int64, c ticket.Contact) error {
	if ownAddress(o.prop, c.Email) {
		return nil
	}
	tok := threading.Token{Kind: threading.KindContact, PropertyID: o.prop.ID, TicketID: t.ID, ID: c.ID}
	return o.enqueue(&store.OutboxRow{Kind: kind, TicketID: t.ID, MessageID: msgID, Rcpt: c.Email, RcptKind: "contact", RcptID: c.ID}, tok)
}

// toMember enqueues a mail to a member.
func (o outbox) toMember(kind string, t ticket.Ticket, msgID int64, m ticket.Member) error {
	tok := threading.Token{Kind: threading.KindMember, PropertyID: o.prop.ID, TicketID: t.ID, ID: m.ID}
	return o.enqueue(&store.OutboxRow{Kind: kind, TicketID: t.ID, MessageID: msgID, Rcpt: m.Email, RcptKind: "member", RcptID: m.ID}, tok)
}

// notice enqueues a short notice to a member, about a ticket or not.
func (o outbox) notice(ticketID int64, m ticket.Member, subject, body string) error {
	tok := threading.Token{Kind: threading.KindMember, PropertyID: o.prop.ID, TicketID: ticketID, ID: m.ID}
	return o.enqueue(&store.OutboxRow{Kind: store.OutNotice, TicketID: ticketID, Rcpt: m.Email, RcptKind: "member",
		RcptID: m.ID, Subject: subject, Body: body}, tok)
}

func (o outbox) enqueue(r *store.OutboxRow, tok threading.Token) error {
	if suppressed, err := o.tx.Suppressed(o.prop.ID, r.Rcpt); err != nil || suppressed {
		if suppressed && r.TicketID != 0 {
			return o.tx.AddEvent(r.TicketID, "suppressed", r.Rcpt, "not sent: the address bounced permanently")
		}
		return err
	}
	r.PropertyID = o.prop.ID
	r.MsgID = o.p.keys.MessageID(tok, rand.Text()[:12], domainOf(o.prop.FromAddress))
	if err := o.tx.Enqueue(r); err != nil {
		return err
	}
	*o.count++
	if r.TicketID == 0 {
		return nil
	}
	return o.tx.AddThreadIDs(o.prop.ID, r.TicketID, store.ThreadOutbound, r.MsgID)
}

// copies sends a copy of a message to the assignee, or to every member of
// the ticket's department while it is unassigned; never to except.
func (o outbox) copies(t ticket.Ticket, msgID int64, except int64) error {
	var members []ticket.Member
	var err error
	if t.AssigneeID != 0 {
		members, err = o.tx.Members(o.prop.ID, t.AssigneeID)
	} else if t.DepartmentID != 0 {
		members, err = o.tx.DepartmentMembers(t.DepartmentID)
	}
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == except {
			continue
		}
		if err := o.toMember(store.OutCopy, t, msgID, m); err != nil {
			return err
		}
	}
	return nil
}

// acknowledge sends the customer an acknowledgement of a new ticket, unless
// the property turned them off, the mail was automatic, or the address had
// its hourly share of automatic mail already (RFC 3834 §2: no storms).
func (o outbox) acknowledge(t ticket.Ticket, requester ticket.Contact, msg *parsed) error {
	if !o.prop.AckEnabled || msg.Automatic || ownAddress(o.prop, requester.Email) {
		return nil
	}
	n, err := o.tx.CountSent(o.prop.ID, requester.Email, store.OutAck, o.tx.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= o.p.limits.AcksPerHour {
		return o.tx.AddEvent(t.ID, "ack-limited", requester.Email,
			"no acknowledgement: this address had its hourly limit of automatic replies")
	}
	return o.toContact(store.OutAck, t, 0, requester)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return "localhost"
}
