package ingest

import (
	"net/mail"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// delivered describes what one delivery did in one property, for the log.
type delivered struct {
	property  string
	ticket    int64
	messageID int64
	duplicate bool
	thread    string
}

// deliverTo stores msg in one property inside tx: retransmission check,
// contact, thread decision, ticket status, message, thread identifiers.
func (p *Pipeline) deliverTo(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (delivered, error) {
	res := delivered{property: prop.Slug}
	id, number, dup, err := tx.Retransmission(prop.ID, msg.MessageID, msg.ContentHash)
	if err != nil || dup {
		res.ticket, res.messageID, res.duplicate = number, id, dup
		return res, err
	}
	requester, author := people(msg, env.from)
	contact, err := tx.Contact(prop.ID, requester.Address, requester.Name)
	if err != nil {
		return res, err
	}
	dec, err := p.resolver.Decide(threadInput(prop, env, msg, requester), tx)
	if err != nil {
		return res, err
	}
	t, err := p.ticketFor(tx, prop, dec, contact, msg)
	if err != nil {
		return res, err
	}
	if err := p.addParticipants(tx, prop, t.ID, msg); err != nil {
		return res, err
	}
	m := newMessage(msg, raw)
	m.PropertyID, m.TicketID, m.AuthorID = prop.ID, t.ID, contact.ID
	m.AuthorEmail, m.AuthorName = strings.ToLower(author.Address), author.Name
	m.Thread = dec.String()
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return res, err
	}
	if err := tx.AddThreadIDs(prop.ID, t.ID, store.ThreadInbound, msg.MessageID); err != nil {
		return res, err
	}
	refs := append(append([]string{}, msg.InReplyTo...), msg.References...)
	if err := tx.AddThreadIDs(prop.ID, t.ID, store.ThreadRef, refs...); err != nil {
		return res, err
	}
	res.ticket, res.messageID, res.thread = t.Number, m.ID, m.Thread
	return res, nil
}

// envelope is the SMTP envelope of a delivery.
type envelope struct {
	from string
	to   []string
}

// threadInput gathers what threading looks at: every address a reply token
// may be in, the references, the subject and who the mail claims to be from.
func threadInput(prop ticket.Property, env envelope, msg *parsed, requester mail.Address) threading.Input {
	in := threading.Input{
		PropertyID: prop.ID, InReplyTo: msg.InReplyTo, References: msg.References,
		Subject: msg.Subject, TagFormat: prop.TagFormat, Addresses: append([]string{}, env.to...),
	}
	for _, a := range append(append([]*mail.Address{}, msg.To...), msg.Cc...) {
		in.Addresses = append(in.Addresses, a.Address)
	}
	for _, k := range []string{"Delivered-To", "X-Original-To"} {
		for _, v := range msg.Header[k] {
			in.Addresses = append(in.Addresses, strings.TrimSpace(v))
		}
	}
	if msg.From != nil {
		in.Senders = append(in.Senders, msg.From.Address)
	}
	if requester.Address != "" {
		in.Senders = append(in.Senders, requester.Address)
	}
	return in
}

// ticketFor returns the ticket the mail goes to, creating it or changing its
// status as the decision and the ticket's state require.
func (p *Pipeline) ticketFor(tx *store.Tx, prop ticket.Property, dec threading.Decision, requester ticket.Contact, msg *parsed) (ticket.Ticket, error) {
	if dec.Rule == threading.RuleNew {
		return newTicket(tx, prop, requester, msg, 0)
	}
	t := dec.Ticket
	effect := threading.CustomerReply(t.Status, msg.Automatic)
	if effect.NewTicket {
		nt, err := newTicket(tx, prop, requester, msg, t.ID)
		if err != nil {
			return nt, err
		}
		return nt, tx.AddEvent(t.ID, "continued", requester.Email, "a reply to this deleted ticket opened "+nt.Ref())
	}
	why := "reply from " + requester.Email
	if msg.Automatic {
		why = "automatic reply (" + msg.AutoReason + ")"
	}
	return t, tx.SetStatus(&t, effect.Status, requester.Email, why)
}

func newTicket(tx *store.Tx, prop ticket.Property, requester ticket.Contact, msg *parsed, linked int64) (ticket.Ticket, error) {
	t := ticket.Ticket{
		PropertyID: prop.ID, Subject: subjectOrDefault(threading.BaseSubject(msg.Subject)), Status: ticket.StatusOpen,
		Priority: ticket.PriorityNormal, RequesterID: requester.ID, Requester: requester.Email, LinkedID: linked,
	}
	if err := tx.CreateTicket(&t); err != nil {
		return t, err
	}
	if err := tx.AddParticipant(t.ID, requester.ID, "requester"); err != nil {
		return t, err
	}
	detail := "opened by inbound mail"
	if linked != 0 {
		detail = "opened by a reply to a deleted ticket (id " + itoa(linked) + ")"
	}
	return t, tx.AddEvent(t.ID, "created", requester.Email, detail)
}

// addParticipants makes the outside addresses a mail was also sent to (To
// and Cc, less the property's own addresses and its members) participants.
func (p *Pipeline) addParticipants(tx *store.Tx, prop ticket.Property, ticketID int64, msg *parsed) error {
	for _, a := range append(append([]*mail.Address{}, msg.To...), msg.Cc...) {
		if ownAddress(prop, a.Address) {
			continue
		}
		if _, member, err := tx.MemberByEmail(prop.ID, a.Address); err != nil || member {
			if err != nil {
				return err
			}
			continue
		}
		c, err := tx.Contact(prop.ID, a.Address, a.Name)
		if err != nil {
			return err
		}
		if err := tx.AddParticipant(ticketID, c.ID, "cc"); err != nil {
			return err
		}
	}
	return nil
}

// ownAddress reports whether addr is one of the property's addresses, with
// or without a +subaddress.
func ownAddress(prop ticket.Property, addr string) bool {
	base := strings.ToLower(baseAddress(addr))
	for _, own := range prop.Addresses {
		if own == base {
			return true
		}
	}
	return false
}

// people returns the requester (the first Reply-To address if present, else
// From) and the author (From). The envelope sender stands in for a missing or
// unreadable From.
func people(msg *parsed, envFrom string) (requester, author mail.Address) {
	switch {
	case msg.From != nil:
		author = *msg.From
	case envFrom != "":
		author = mail.Address{Address: envFrom}
	default:
		author = mail.Address{Address: "unknown-sender@postdesk.invalid"}
	}
	requester = author
	if len(msg.ReplyTo) > 0 {
		requester = *msg.ReplyTo[0]
	}
	return requester, author
}

func subjectOrDefault(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "(no subject)"
	}
	return s
}
