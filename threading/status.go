package threading

import "github.com/postdesk/postdesk/ticket"

// Effect is what a customer's mail does to the ticket it continues.
type Effect struct {
	Status ticket.Status // the ticket's status afterwards
	// NewTicket: the mail opens a new ticket linked to the matched one
	// (which was deleted) instead of joining it.
	NewTicket bool
}

// CustomerReply returns the effect of a customer's mail on a ticket with the
// given status. An automatic reply (RFC 3834) is added without reopening a
// closed ticket.
func CustomerReply(status ticket.Status, automatic bool) Effect {
	switch status {
	case ticket.StatusAnswered, ticket.StatusSnoozed:
		return Effect{Status: ticket.StatusOpen}
	case ticket.StatusClosed:
		if automatic {
			return Effect{Status: ticket.StatusClosed}
		}
		return Effect{Status: ticket.StatusOpen}
	case ticket.StatusDeleted:
		return Effect{Status: ticket.StatusOpen, NewTicket: true}
	}
	return Effect{Status: status} // open stays open, spam stays spam
}
