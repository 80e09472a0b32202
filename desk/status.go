package desk

import (
	"fmt"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// SetStatus moves t to status s and records why. It is the one place a
// status changes: leaving Snoozing forgets the wake time, leaving Closed
// forgets who closed it and why, and the SLA clocks stop when it leaves
// open or answered and run again when it comes back (see sla.go). The
// other operations say who may call it.
func (o *Op) SetStatus(t *ticket.Ticket, s ticket.Status, why string) error {
	if t.Status == s {
		return o.Tx.Touch(t.ID)
	}
	if err := o.Tx.SetStatus(t.ID, s); err != nil {
		return err
	}
	if t.Status == ticket.StatusSnoozed && !t.SnoozedUntil.IsZero() {
		if err := o.Tx.SetSnooze(t.ID, time.Time{}); err != nil {
			return err
		}
		t.SnoozedUntil = time.Time{}
	}
	if t.Status == ticket.StatusClosed && s != ticket.StatusClosed {
		if err := o.Tx.SetClosed(t.ID, "", "", time.Time{}); err != nil {
			return err
		}
		t.ClosedReason, t.ClosedBy, t.ClosedAt = "", "", time.Time{}
	}
	detail := fmt.Sprintf("%s → %s: %s", t.Status, s, why)
	from := t.Status
	t.Status = s
	if err := o.event(t, "status", detail); err != nil {
		return err
	}
	return o.statusClocks(t, from)
}

// Answered marks t answered: an agent's answer went to the customer. A
// deleted, spam or merged ticket is not answered (Movable): answering
// would undelete it, which only admins do, or take it out of Spam.
func (o *Op) Answered(t *ticket.Ticket) error {
	if err := o.Actor.team("answer"); err != nil {
		return err
	}
	if err := Movable(*t, "answer"); err != nil {
		return err
	}
	if err := o.firstResponse(t); err != nil {
		return err
	}
	if err := o.assignOnAnswer(t); err != nil {
		return err
	}
	return o.SetStatus(t, ticket.StatusAnswered, "answer from "+o.Actor.String())
}

// Close closes t as resolved or cancelled, recording who and when.
func (o *Op) Close(t *ticket.Ticket, reason ticket.CloseReason) error {
	if err := o.Actor.team("close a ticket"); err != nil {
		return err
	}
	if reason != ticket.ClosedResolved && reason != ticket.ClosedCancelled {
		return invalid("a ticket is closed as resolved or cancelled, not %q", reason)
	}
	if err := Movable(*t, "close"); err != nil {
		return err
	}
	if err := o.SetStatus(t, ticket.StatusClosed, string(reason)); err != nil {
		return err
	}
	t.ClosedReason, t.ClosedBy, t.ClosedAt = reason, o.Actor.String(), o.Now()
	return o.Tx.SetClosed(t.ID, t.ClosedReason, t.ClosedBy, t.ClosedAt)
}

// Reopen opens t again.
func (o *Op) Reopen(t *ticket.Ticket) error {
	if err := o.Actor.team("reopen a ticket"); err != nil {
		return err
	}
	if err := Movable(*t, "reopen"); err != nil {
		return err
	}
	return o.SetStatus(t, ticket.StatusOpen, "reopened by "+o.Actor.String())
}

// Snooze puts t away until a time; the scheduler opens it again then, and
// so does the customer's next mail.
func (o *Op) Snooze(t *ticket.Ticket, until time.Time) error {
	if err := o.Actor.team("snooze a ticket"); err != nil {
		return err
	}
	if err := Movable(*t, "snooze"); err != nil {
		return err
	}
	if err := SnoozeTime(o.Now(), until); err != nil {
		return err
	}
	if err := o.SetStatus(t, ticket.StatusSnoozed, "snoozed until "+until.UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	t.SnoozedUntil = until
	return o.Tx.SetSnooze(t.ID, until)
}

// MaxSnooze is the longest a ticket may be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

// SnoozeTime checks a wake time: after now, and at most MaxSnooze ahead.
func SnoozeTime(now, until time.Time) error {
	if !until.After(now) {
		return invalid("snooze until %s: that time has passed", until.UTC().Format(time.RFC3339))
	}
	if until.Sub(now) > MaxSnooze {
		return invalid("snooze until %s: more than a year ahead", until.UTC().Format(time.RFC3339))
	}
	return nil
}

// Movable says whether t's status may be changed by hand (what names the
// change): not that of a deleted, spam or merged ticket, which have their
// own ways back (an admin's undelete, unmarking spam) or none (a merged
// ticket lives on in its target).
func Movable(t ticket.Ticket, what string) error {
	switch {
	case t.MergedInto != 0:
		return invalid("%s was merged into another ticket; %s that one", t.Ref(), what)
	case t.Status == ticket.StatusDeleted:
		return invalid("%s is deleted", t.Ref())
	case t.Status == ticket.StatusSpam:
		return invalid("%s is marked as spam; unmark it first", t.Ref())
	}
	return nil
}
