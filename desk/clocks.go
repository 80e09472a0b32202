package desk

import (
	"fmt"
	"time"

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// target is one of a ticket's two clocks, as the scheduler sees it.
type target struct {
	name          string // "first response", "resolution"
	warn, overdue string // the alert kinds
	warnAt, due   time.Time
}

// targets are the clocks of t that still run: the first response until it
// came, the resolution always (a stopped clock has no Next).
func targets(t *ticket.Ticket, c store.SLAClock) []target {
	var out []target
	if t.FirstResponseAt.IsZero() && !t.FirstResponseDue.IsZero() {
		out = append(out, target{"first response", alertFirstResponseWarning, alertFirstResponseOverdue, c.FirstResponseWarn, t.FirstResponseDue})
	}
	if !t.ResolutionDue.IsZero() {
		out = append(out, target{"resolution", alertResolutionWarning, alertResolutionOverdue, c.ResolutionWarn, t.ResolutionDue})
	}
	return out
}

// setDue sets t's due times and warning moments from the policy's targets
// for its priority, counting from when the clocks last started (or now,
// while they are stopped) the time the targets have left. A target already
// used up keeps a due time that has passed (the one it had, or the moment
// the clocks started), so the ticket is overdue at once and an alert sent
// for that due time is not sent again. It writes the ticket's due times and
// its clock, and reports whether a running target's due time has passed.
func (o *Op) setDue(t *ticket.Ticket, c *store.SLAClock, p sla.Policy, cal *sla.Clock) (late bool, err error) {
	from := c.RunningSince
	if from.IsZero() {
		from = o.Now()
	}
	tg := p.Target(t.Priority)
	if t.FirstResponseAt.IsZero() {
		t.FirstResponseDue, c.FirstResponseWarn = deadline(cal, from, c.Used, time.Duration(tg.FirstResponse), p.Warn(), t.FirstResponseDue)
	}
	t.ResolutionDue, c.ResolutionWarn = deadline(cal, from, c.Used, time.Duration(tg.Resolution), p.Warn(), t.ResolutionDue)
	if err := o.Tx.SetDueTimes(t.ID, t.FirstResponseDue, t.ResolutionDue); err != nil {
		return false, err
	}
	for _, g := range targets(t, *c) {
		if !g.due.After(o.Now()) {
			late = true
		}
	}
	return late, o.rescheduleClock(t, *c)
}

// deadline is one target's due time and warning moment: target of counted
// time (less used) from from, the warning at share of it. A zero target
// has neither. old is the due time the target had.
func deadline(cal *sla.Clock, from time.Time, used, target time.Duration, share float64, old time.Time) (due, warn time.Time) {
	if target <= 0 {
		return time.Time{}, time.Time{}
	}
	if target <= used {
		if !old.IsZero() && !old.After(from) {
			return old, time.Time{}
		}
		return from.Truncate(time.Millisecond), time.Time{}
	}
	due = cal.Due(from, target-used).Truncate(time.Millisecond)
	w := time.Duration(float64(target)*share) - used
	if w < 0 {
		w = 0
	}
	return due, cal.Due(from, w).Truncate(time.Millisecond)
}

// reschedule writes t's clock with the next moment the scheduler must look
// at it: the earliest warning or due time of a running target whose alert
// was not sent; none while the clocks are stopped.
func (o *Op) reschedule(t *ticket.Ticket) error {
	c, found, err := o.Tx.SLAClock(t.ID)
	if err != nil {
		return err
	}
	if !found {
		c = store.SLAClock{TicketID: t.ID, PropertyID: t.PropertyID}
	}
	return o.rescheduleClock(t, c)
}

func (o *Op) rescheduleClock(t *ticket.Ticket, c store.SLAClock) error {
	c.Next = time.Time{}
	if !c.RunningSince.IsZero() && running(t.Status) && t.MergedInto == 0 {
		for _, g := range targets(t, c) {
			at, err := o.nextMoment(t, g)
			if err != nil {
				return err
			}
			if !at.IsZero() && (c.Next.IsZero() || at.Before(c.Next)) {
				c.Next = at
			}
		}
	}
	return o.Tx.SetSLAClock(c)
}

// nextMoment is when the scheduler must next look at target g of t: its
// warning moment until the warning is sent, then its due time until the
// overdue alert is sent, then never. A warning not sent by the due time is
// not sent at all (checkClocks sends the overdue alert instead).
func (o *Op) nextMoment(t *ticket.Ticket, g target) (time.Time, error) {
	sent, err := o.Tx.AlertSent(t.ID, g.overdue, g.due)
	if err != nil || sent {
		return time.Time{}, err
	}
	if g.warnAt.IsZero() || !g.warnAt.Before(g.due) {
		return g.due, nil
	}
	if sent, err = o.Tx.AlertSent(t.ID, g.warn, g.due); err != nil || sent {
		return g.due, err
	}
	return g.warnAt, nil
}

// checkClocks is the scheduler's work on t: for each running target whose
// due time has passed, mark t overdue and alert the team; for one whose
// warning moment has passed, warn the team. Each alert is claimed in this
// transaction, so it goes once however many schedulers run.
func (o *Op) checkClocks(t *ticket.Ticket) error {
	c, found, err := o.Tx.SLAClock(t.ID)
	if err != nil || !found {
		return err
	}
	if c.RunningSince.IsZero() || !running(t.Status) || t.MergedInto != 0 {
		return o.rescheduleClock(t, c)
	}
	now := o.Now()
	for _, g := range targets(t, c) {
		switch {
		case !g.due.After(now):
			if err := o.overdue(t, g); err != nil {
				return err
			}
		case !g.warnAt.IsZero() && !g.warnAt.After(now):
			if err := o.warn(t, g); err != nil {
				return err
			}
		}
	}
	return o.rescheduleClock(t, c)
}

// overdue marks t overdue for target g, once per due time.
func (o *Op) overdue(t *ticket.Ticket, g target) error {
	claimed, err := o.Tx.ClaimAlert(t.ID, g.overdue, g.due)
	if err != nil || !claimed {
		return err
	}
	if t.OverdueAt.IsZero() {
		t.OverdueAt = o.Now()
		if err := o.Tx.SetOverdue(t.ID, t.OverdueAt); err != nil {
			return err
		}
	}
	if err := o.event(t, "overdue", g.name+" was due "+stamp(g.due)); err != nil {
		return err
	}
	return o.Queue.TellTeam(t.ID, "Overdue: "+o.about(t),
		fmt.Sprintf("The %s of %s (%s priority) was due %s.\n\nSubject: %s\nFrom: %s\n",
			g.name, t.Ref(), t.Priority, o.local(g.due), t.Subject, t.Requester))
}

// warn tells the team that target g of t falls due soon, once per due time.
func (o *Op) warn(t *ticket.Ticket, g target) error {
	claimed, err := o.Tx.ClaimAlert(t.ID, g.warn, g.due)
	if err != nil || !claimed {
		return err
	}
	if err := o.event(t, "sla-warning", g.name+" due "+stamp(g.due)); err != nil {
		return err
	}
	return o.Queue.TellTeam(t.ID, "Due soon: "+o.about(t),
		fmt.Sprintf("The %s of %s (%s priority) is due %s.\n\nSubject: %s\nFrom: %s\n",
			g.name, t.Ref(), t.Priority, o.local(g.due), t.Subject, t.Requester))
}

// about names a ticket in a notice's subject: its tag and subject.
func (o *Op) about(t *ticket.Ticket) string {
	return threading.Tag(o.Prop().TagFormat, t.Number) + " " + t.Subject
}

// local writes a time for people, in the zone of the property's business
// hours (UTC without them).
func (o *Op) local(at time.Time) string {
	loc := time.UTC
	if _, cal, found, err := o.policy(); err == nil && found {
		loc = cal.Location()
	}
	return at.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}
