package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Service levels. A property's policy gives, per priority, a first-response
// and a resolution target; a ticket opened under it carries the due times.
// The rules, which README "Service levels" states for users:
//
//   - The clocks start when the ticket is opened and run while it is open
//     or answered. Snoozing, closing, deleting or marking it as spam stops
//     them; when it opens again (woken, reopened, the customer writing) they
//     run on with the counted time that was left. Snoozed and closed time
//     does not count: the team was not keeping the customer waiting.
//   - With business hours only open time counts (package sla).
//   - An agent's first answer meets the first-response target.
//   - A priority change sets the due times again from the ticket's start
//     (less any stopped time), so a shorter target can make the ticket
//     overdue at once; the event records the old and new due times.
//   - The scheduler marks a ticket overdue at its due moment, warns at the
//     policy's share of the target before, and each alert goes once. A
//     ticket keeps its overdue mark when closed (it missed its target); the
//     mark goes only when a priority change moves every due time ahead.
//   - A policy applies to tickets opened after it is set; a ticket's due
//     times follow a changed policy when they are next set (a priority
//     change, the clocks starting again). Tickets opened without a policy,
//     and imported history, have no clocks.

// SetSLAPolicy sets the property's policy, replacing any it had. Only
// admins may.
func (d *Desk) SetSLAPolicy(ctx context.Context, prop ticket.Property, a Actor, p sla.Policy) error {
	if err := a.admin("set the SLA policy"); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return invalid("%v", err)
	}
	return d.Run(ctx, prop, a, func(o *Op) error {
		if err := o.Tx.SetSLAPolicy(prop.ID, p, a.String()); err != nil {
			return err
		}
		return o.audit("SLA policy set", "")
	})
}

// SLAPolicy returns the property's policy; found is false when it has none.
func (d *Desk) SLAPolicy(ctx context.Context, prop ticket.Property) (p sla.Policy, found bool, err error) {
	return d.st.SLAPolicy(ctx, prop.ID)
}

// The kinds of alert the scheduler sends, once per ticket and due time.
const (
	alertFirstResponseWarning = "first-response-warning"
	alertFirstResponseOverdue = "first-response-overdue"
	alertResolutionWarning    = "resolution-warning"
	alertResolutionOverdue    = "resolution-overdue"
)

// running reports whether the clocks run in status s.
func running(s ticket.Status) bool { return s == ticket.StatusOpen || s == ticket.StatusAnswered }

// policy reads the property's policy and its calendar.
func (o *Op) policy() (sla.Policy, *sla.Clock, bool, error) {
	p, found, err := o.Tx.SLAPolicy(o.Prop().ID)
	if err != nil || !found {
		return p, nil, false, err
	}
	cal, err := p.Clock()
	if err != nil {
		return p, nil, false, fmt.Errorf("the SLA policy of %s: %w", o.Prop().Slug, err)
	}
	return p, cal, true, nil
}

// startClocks sets a new ticket's SLA due times from its property's policy.
// Imported history starts no clocks.
func (o *Op) startClocks(t *ticket.Ticket) error {
	if o.Queue.Silent {
		return nil
	}
	p, cal, found, err := o.policy()
	if err != nil || !found {
		return err
	}
	c := store.SLAClock{TicketID: t.ID, PropertyID: t.PropertyID}
	if running(t.Status) {
		c.RunningSince = t.CreatedAt
	}
	_, err = o.setDue(t, &c, p, cal)
	return err
}

// recalcClocks sets t's due times again after its priority changed from old.
func (o *Op) recalcClocks(t *ticket.Ticket, old ticket.Priority) error {
	c, found, err := o.Tx.SLAClock(t.ID)
	if err != nil || !found {
		return err
	}
	p, cal, found, err := o.policy()
	if err != nil || !found {
		return err
	}
	fr, res := t.FirstResponseDue, t.ResolutionDue
	late, err := o.setDue(t, &c, p, cal)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("priority %s → %s: first response due %s → %s; resolution due %s → %s", old, t.Priority,
		stamp(fr), stamp(t.FirstResponseDue), stamp(res), stamp(t.ResolutionDue))
	if !t.OverdueAt.IsZero() && !late {
		t.OverdueAt = time.Time{}
		if err := o.Tx.SetOverdue(t.ID, t.OverdueAt); err != nil {
			return err
		}
		detail += "; no longer overdue"
	}
	return o.event(t, "sla", detail)
}

// firstResponse records that an agent's first answer went out: it meets
// the first-response target.
func (o *Op) firstResponse(t *ticket.Ticket) error {
	if !t.FirstResponseAt.IsZero() {
		return nil
	}
	t.FirstResponseAt = o.Now()
	if err := o.Tx.SetFirstResponseAt(t.ID, t.FirstResponseAt); err != nil {
		return err
	}
	if t.FirstResponseDue.IsZero() {
		return nil
	}
	verdict := "within its target"
	if t.FirstResponseAt.After(t.FirstResponseDue) {
		verdict = "late by " + sla.FormatDuration(t.FirstResponseAt.Sub(t.FirstResponseDue).Round(time.Second))
	}
	if err := o.event(t, "sla", "first response "+verdict+" (due "+stamp(t.FirstResponseDue)+")"); err != nil {
		return err
	}
	return o.reschedule(t)
}

// statusClocks stops t's clocks when its status left open or answered
// (from), and runs them again when it came back.
func (o *Op) statusClocks(t *ticket.Ticket, from ticket.Status) error {
	if running(from) == running(t.Status) {
		return nil
	}
	c, found, err := o.Tx.SLAClock(t.ID)
	if err != nil || !found {
		return err
	}
	p, cal, found, err := o.policy()
	if err != nil {
		return err
	}
	if !found {
		p, cal = sla.Policy{}, sla.Always()
	}
	if !running(t.Status) {
		if c.RunningSince.IsZero() {
			return nil
		}
		c.Used += cal.Elapsed(c.RunningSince, o.Now())
		c.RunningSince, c.Next = time.Time{}, time.Time{}
		if err := o.Tx.SetSLAClock(c); err != nil {
			return err
		}
		return o.event(t, "sla", fmt.Sprintf("clocks stopped (%s) after %s of counted time", t.Status, sla.FormatDuration(c.Used.Round(time.Second))))
	}
	c.RunningSince = o.Now()
	if _, err := o.setDue(t, &c, p, cal); err != nil {
		return err
	}
	return o.event(t, "sla", "clocks run again: first response due "+stamp(t.FirstResponseDue)+"; resolution due "+stamp(t.ResolutionDue))
}

// stamp writes a due time for the ticket's log: RFC 3339 in UTC, or "none".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}
