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
// given status. A person's reply reopens an answered, snoozed or closed
// ticket. An automatic reply (RFC 3834: an out-of-office, a vacation notice,
// RFC 5230) is added to the ticket and changes no status: it is not the
// customer's answer.
func CustomerReply(status ticket.Status, automatic bool) Effect {
	switch status {
	case ticket.StatusAnswered, ticket.StatusSnoozed, ticket.StatusClosed:
		if automatic {
			return Effect{Status: status}
		}
		return Effect{Status: ticket.StatusOpen}
	case ticket.StatusDeleted:
		return Effect{Status: ticket.StatusOpen, NewTicket: true}
	}
	return Effect{Status: status} // open stays open, spam stays spam
}
