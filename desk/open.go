package desk

import (
	"github.com/postdesk/postdesk/ticket"
)

// Open creates ticket t, whose property, subject, status and priority the
// caller set, for requester, as the actor (a contact writing in, or a
// member opening one by hand): it numbers t, makes the requester its first
// participant, records why, starts its SLA clocks and routes it to an
// assignee unless it has one. A contact's ticket opens in the Spam folder
// when she is a marked spam sender (screen).
func (o *Op) Open(t *ticket.Ticket, requester ticket.Contact, why string) error {
	t.PropertyID, t.RequesterID, t.Requester = o.Prop().ID, requester.ID, requester.Email
	if t.Priority == "" {
		t.Priority = ticket.PriorityMedium
	}
	spam, err := o.screen(t, requester)
	if err != nil {
		return err
	}
	why += spam
	if err := o.Tx.CreateTicket(t); err != nil {
		return err
	}
	if err := o.Tx.AddParticipant(t.ID, requester.ID, "requester"); err != nil {
		return err
	}
	if err := o.event(t, "created", why); err != nil {
		return err
	}
	if err := o.startClocks(t); err != nil {
		return err
	}
	return o.route(t)
}
