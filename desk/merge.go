package desk

import (
	"context"
	"fmt"

	"github.com/postdesk/postdesk/ticket"
)

// Merge merges ticket number source into ticket number target of prop, as
// the actor, and returns the target as it then is. See Op.Merge.
func (d *Desk) Merge(ctx context.Context, prop ticket.Property, a Actor, source, target int64) (ticket.Ticket, error) {
	var out ticket.Ticket
	err := d.Run(ctx, prop, a, func(o *Op) error {
		s, err := o.ticket(source)
		if err != nil {
			return err
		}
		t, err := o.ticket(target)
		if err != nil {
			return err
		}
		if err := o.Merge(&s, &t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// ticket returns ticket number n of the operation's property.
func (o *Op) ticket(n int64) (ticket.Ticket, error) {
	t, found, err := o.Tx.TicketByNumber(o.Prop().ID, n)
	if err != nil {
		return t, err
	}
	if !found {
		return t, fmt.Errorf("ticket #%d of %s: %w", n, o.Prop().Slug, ErrNotFound)
	}
	return t, nil
}

// Merge merges ticket s into ticket t, for a customer who wrote twice about
// one thing: s's messages (with their attachments), participants, proposed
// participants, events and bounces move to t, and the mail still queued
// for s goes out as t's. s is closed as cancelled (its conversation goes on
// in t, it was not resolved by itself), points to t, and records "merged
// into #T"; t records "merged #S into this ticket". Both name the actor.
//
// Mail that finds s later (its reply address, a Message-ID or reference
// of its mail, its subject tag) lands in t: ingest's threading follows
// merged_into. Tickets of two properties are never merged, nor a ticket
// into itself, nor into a merged, deleted or spam ticket.
func (o *Op) Merge(s, t *ticket.Ticket) error {
	if err := o.Actor.team("merge tickets"); err != nil {
		return err
	}
	switch {
	case s.PropertyID != t.PropertyID || s.PropertyID != o.Prop().ID:
		return invalid("tickets of two properties cannot be merged")
	case s.ID == t.ID:
		return invalid("%s cannot be merged into itself", s.Ref())
	}
	if err := Movable(*s, "merge"); err != nil {
		return err
	}
	if err := Movable(*t, "merge into"); err != nil {
		return err
	}
	if err := o.Tx.MergeTicket(s.ID, t.ID); err != nil {
		return err
	}
	s.MergedInto = t.ID
	if s.Status != ticket.StatusClosed {
		if err := o.SetStatus(s, ticket.StatusClosed, "merged into "+t.Ref()); err != nil {
			return err
		}
		s.ClosedReason, s.ClosedBy, s.ClosedAt = ticket.ClosedCancelled, o.Actor.String(), o.Now()
		if err := o.Tx.SetClosed(s.ID, s.ClosedReason, s.ClosedBy, s.ClosedAt); err != nil {
			return err
		}
	}
	if err := o.event(s, "merged", "merged into "+t.Ref()+": "+t.Subject); err != nil {
		return err
	}
	if err := o.Tx.Touch(t.ID); err != nil {
		return err
	}
	return o.event(t, "merged", fmt.Sprintf("merged %s into this ticket: %s", s.Ref(), s.Subject))
}
