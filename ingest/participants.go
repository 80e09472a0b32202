package ingest

import (
	"fmt"
	"github.com/postdesk/postdesk/desk"
	"net/mail"
	"strings"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// mayAddParticipants reports whether a customer's mail may make its To and
// Cc addresses participants: when it opens a ticket, or when it came
// through a contact's signed reply address of the ticket. A mail that joins
// by Message-ID, References or subject tag proves nothing about its sender
// (an acknowledgement can be forwarded, a Reply-To borrowed), so what it
// names is only proposed.
func mayAddParticipants(dec threading.Decision, isNew bool) bool {
	return isNew || (dec.Rule == threading.RuleToken && dec.Token != nil && dec.Token.Kind == threading.KindContact)
}

// outsideAddresses returns the distinct To and Cc addresses of a mail that
// would become participants of ticket t (zero for a new ticket): less the
// property's own addresses, its members, t's participants and the
// addresses in skip (the sender, the mailbox that forwarded the mail and
// the address it was first sent to: the property's in effect).
// It stops looking once there are more than limit, and then reports over.
func outsideAddresses(tx *store.Tx, prop ticket.Property, t ticket.Ticket, msg *parsed, also []string, limit int) (addrs []*mail.Address, over bool, err error) {
	skip := map[string]bool{}
	for _, a := range also {
		skip[strings.ToLower(a)] = true
	}
	if t.ID != 0 {
		current, err := tx.Participants(t.ID)
		if err != nil {
			return nil, false, err
		}
		for _, c := range current {
			skip[strings.ToLower(c.Email)] = true
		}
	}
	for _, a := range append(append([]*mail.Address{}, msg.To...), msg.Cc...) {
		email := strings.ToLower(a.Address)
		if skip[email] {
			continue
		}
		skip[email] = true
		own, err := loopsBack(tx, prop, email)
		if err != nil {
			return nil, false, err
		}
		if own {
			continue
		}
		if len(addrs) == limit {
			return addrs, true, nil
		}
		addrs = append(addrs, a)
	}
	return addrs, false, nil
}

// loopsBack reports whether mail to addr would come back to this gateway,
// so that addr must never be a participant: an address of any property it
// serves (help@beta.test is as much ours as support@acme.test), or one of
// prop's members, each with any RFC 5233 subaddress detail removed
// (alice+x@acme.test is alice@acme.test, who would get customers' replies).
func loopsBack(tx *store.Tx, prop ticket.Property, addr string) (bool, error) {
	if prop.Owns(addr) {
		return true, nil
	}
	return tx.OwnAddress(prop.ID, addr, outbox.BaseAddress(addr))
}

// addParticipants makes addrs Cc'd participants of a ticket, creating
// their contacts.
func addParticipants(tx *store.Tx, prop ticket.Property, ticketID int64, addrs []*mail.Address) error {
	for _, a := range addrs {
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

// proposeParticipants records the addresses a mail named but could not
// add, and says so in the ticket's log with the command that adds them.
func proposeParticipants(tx *store.Tx, t ticket.Ticket, messageID int64, author string, addrs []*mail.Address) error {
	if len(addrs) == 0 {
		return nil
	}
	proposed := make([]store.Proposed, len(addrs))
	emails := make([]string, len(addrs))
	for i, a := range addrs {
		proposed[i] = store.Proposed{Email: a.Address, Name: a.Name}
		emails[i] = strings.ToLower(a.Address)
	}
	if err := tx.ProposeParticipants(t.ID, messageID, proposed); err != nil {
		return err
	}
	return tx.AddEvent(t.ID, "proposed", author, fmt.Sprintf("not added, the mail came without a reply token: %s "+
		"(a member adds them by answering with \"#cc %s\")", strings.Join(emails, ", "), strings.Join(emails, " ")))
}

// parseCc reads the addresses of a #cc command: separated by spaces or
// commas, bare or in angle brackets; each must be one ticket.ParseAddress
// accepts, as every participant's address is (see mailboxes).
func parseCc(arg string) ([]*mail.Address, error) {
	fields := strings.FieldsFunc(arg, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ';' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("#cc needs one or more addresses")
	}
	var out []*mail.Address
	for _, f := range fields {
		a, err := mail.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address", f)
		}
		if a.Address, err = ticket.ParseAddress(a.Address); err != nil {
			return nil, fmt.Errorf("%q is not an address mail can be sent to: %v", f, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// addCc carries out an agent's #cc: the addresses become participants, and
// the ticket's log says exactly which were added, and which were left out
// because mail to them would come back to this gateway (see loopsBack).
func addCc(tx *store.Tx, prop ticket.Property, t ticket.Ticket, addrs []*mail.Address, actor string) error {
	var add []*mail.Address
	var added, ours []string
	seen := map[string]bool{}
	for _, a := range addrs {
		email := strings.ToLower(a.Address)
		if seen[email] {
			continue
		}
		seen[email] = true
		own, err := loopsBack(tx, prop, email)
		if err != nil {
			return err
		}
		if own {
			ours = append(ours, email)
			continue
		}
		add = append(add, a)
		added = append(added, email)
	}
	if len(ours) > 0 {
		if err := tx.AddEvent(t.ID, "participants", actor, "not added by #cc, addresses of this gateway: "+strings.Join(ours, ", ")); err != nil {
			return err
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := addParticipants(tx, prop, t.ID, add); err != nil {
		return err
	}
	return tx.AddEvent(t.ID, "participants", actor, "added by #cc: "+strings.Join(added, ", "))
}

// answerLimits returns what is wrong, if anything, with an agent's mail
// whose #cc adds more participants than one mail may, or whose answer would
// go to more addresses than an answer may. An internal note goes to no
// customer.
func (p *Pipeline) answerLimits(tx *store.Tx, t ticket.Ticket, pl plan) (problem string, err error) {
	if len(pl.cc) > p.limits.ParticipantsPerMail {
		return fmt.Sprintf("#cc names %d addresses, more than the limit of %d per mail", len(pl.cc), p.limits.ParticipantsPerMail), nil
	}
	if pl.note {
		return "", nil
	}
	extra := make([]string, len(pl.cc))
	for i, a := range pl.cc {
		extra[i] = a.Address
	}
	return desk.RecipientsProblem(tx, t, extra, p.limits.RecipientsPerAnswer)
}
