package desk

import (
	"context"
	"strconv"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// Split moves message messageID of ticket number n of prop off into a new
// ticket, as the actor, and returns the new ticket. See Op.Split.
func (d *Desk) Split(ctx context.Context, prop ticket.Property, a Actor, n, messageID int64) (ticket.Ticket, error) {
	var out ticket.Ticket
	err := d.Run(ctx, prop, a, func(o *Op) error {
		t, err := o.ticket(n)
		if err != nil {
			return err
		}
		out, err = o.Split(&t, messageID)
		return err
	})
	return out, err
}

// Split moves one message of t, one that is about something else, off into
// a new ticket for t's requester, opened by Op.Open (so SLA clocks and
// routing apply as to any new ticket) with t's priority and department.
// The message takes its attachments and the thread ids of its own
// Message-ID along, so replies to it thread into the new ticket; its
// author, if a contact other than the requester, becomes a participant of
// it. Both tickets record the split. A ticket's only message stays.
func (o *Op) Split(t *ticket.Ticket, messageID int64) (ticket.Ticket, error) {
	var nt ticket.Ticket
	if err := o.Actor.team("split a ticket"); err != nil {
		return nt, err
	}
	if err := Movable(*t, "split"); err != nil {
		return nt, err
	}
	m, found, err := o.Tx.MessageOf(t.ID, messageID)
	if err != nil {
		return nt, err
	}
	if !found {
		return nt, invalid("%s has no message %d", t.Ref(), messageID)
	}
	count, err := o.Tx.CountMessages(t.ID)
	if err != nil {
		return nt, err
	}
	if count < 2 {
		return nt, invalid("message %d is the only message of %s; there is nothing to split it from", messageID, t.Ref())
	}
	requester, err := o.Tx.ContactByID(t.RequesterID)
	if err != nil {
		return nt, err
	}
	subject := threading.BaseSubject(m.Subject)
	if subject == "" {
		subject = t.Subject
	}
	nt = ticket.Ticket{Subject: subject, Status: ticket.StatusOpen, Priority: t.Priority, DepartmentID: t.DepartmentID, LinkedID: t.ID}
	if err := o.Open(&nt, requester, "split from "+t.Ref()+": message "+itoa(messageID)+" by "+o.Actor.String()); err != nil {
		return nt, err
	}
	if err := o.Tx.MoveMessage(o.Prop().ID, messageID, t.ID, nt.ID); err != nil {
		return nt, err
	}
	if m.Direction == ticket.Inbound && m.AuthorID != requester.ID {
		if err := o.Tx.AddParticipant(nt.ID, m.AuthorID, "cc"); err != nil {
			return nt, err
		}
	}
	if err := o.Tx.Touch(t.ID); err != nil {
		return nt, err
	}
	return nt, o.event(t, "split", "message "+itoa(messageID)+" moved to the new ticket "+nt.Ref()+": "+subject)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
