package desk

import (
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/ticket"
)

// MarkSpam puts t in the Spam folder and marks the address its mail came
// from (spamAddress: its base address, outbox.BaseAddress; none when
// Reply-To named another) as a spam sender of the property: later mail
// from it that would open a ticket opens it as spam (see Open). Nothing is
// sent to anyone.
func (o *Op) MarkSpam(t *ticket.Ticket) error {
	if err := o.Actor.team("mark a ticket as spam"); err != nil {
		return err
	}
	switch {
	case t.MergedInto != 0:
		return invalid("%s was merged into another ticket", t.Ref())
	case t.Status == ticket.StatusDeleted:
		return invalid("%s is deleted", t.Ref())
	case t.Status == ticket.StatusSpam:
		return nil
	}
	if err := o.SetStatus(t, ticket.StatusSpam, "marked as spam by "+o.Actor.String()); err != nil {
		return err
	}
	addr, err := o.spamAddress(t)
	if err != nil {
		return err
	}
	if addr == "" {
		return o.event(t, "spam-sender", "no sender marked: the mail named its requester in Reply-To, "+
			"so its From may be a contact form's or a forger's")
	}
	if err := o.Tx.MarkSpamSender(o.Prop().ID, addr, o.Actor.String()); err != nil {
		return err
	}
	return o.event(t, "spam-sender", addr+" marked as a spam sender")
}

// UnmarkSpam takes t out of the Spam folder, open, and unmarks the
// address MarkSpam marked.
func (o *Op) UnmarkSpam(t *ticket.Ticket) error {
	if err := o.Actor.team("unmark spam"); err != nil {
		return err
	}
	if t.Status != ticket.StatusSpam {
		return invalid("%s is not marked as spam", t.Ref())
	}
	if err := o.SetStatus(t, ticket.StatusOpen, "unmarked as spam by "+o.Actor.String()); err != nil {
		return err
	}
	addr, err := o.spamAddress(t)
	if err != nil || addr == "" {
		return err
	}
	if err := o.Tx.UnmarkSpamSender(o.Prop().ID, addr); err != nil {
		return err
	}
	return o.event(t, "spam-sender", addr+" no longer marked as a spam sender")
}

// spamAddress is the base address a spam mark on t names, or "" for none:
// the From of the first mail its requester wrote, when that From is hers
// (her address or one merged into her contact). A mail whose Reply-To
// named someone else marks nobody: its Reply-To may name an innocent
// customer (a forger's), and its From may be a contact form's, which every
// customer's mail shares. A ticket she never wrote to (opened by hand)
// marks her address.
func (o *Op) spamAddress(t *ticket.Ticket) (string, error) {
	from, found, err := o.Tx.RequesterSender(*t)
	if err != nil || !found {
		return outbox.BaseAddress(t.Requester), err
	}
	c, found, err := o.Tx.ContactByEmail(o.Prop().ID, from)
	if err != nil || !found || (c.ID != t.RequesterID && c.MergedInto != t.RequesterID) {
		return "", err
	}
	return outbox.BaseAddress(from), nil
}

// screen opens a ticket a contact's mail opens in the Spam folder when the
// mail's sender (o.Sender, its From; the requester when no mail is behind
// the operation) is a marked spam sender. Reply-To is not screened: anyone
// may name anyone there. The mail is stored all the same (nothing accepted
// is lost); the outbox sends nothing about a spam ticket (no
// acknowledgement, no copies). A member opening a ticket by hand is not
// screened.
func (o *Op) screen(t *ticket.Ticket, requester ticket.Contact) (why string, err error) {
	if o.Actor.Kind != ActorContact {
		return "", nil
	}
	from := o.Sender
	if from == "" {
		from = requester.Email
	}
	addr := outbox.BaseAddress(from)
	spam, err := o.Tx.IsSpamSender(o.Prop().ID, addr)
	if err != nil || !spam {
		return "", err
	}
	t.Status = ticket.StatusSpam
	return "; in Spam: " + addr + " is marked as a spam sender", nil
}
