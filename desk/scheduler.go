package desk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Scheduler does what falls due with time: it wakes snoozed tickets at
// their wake time, and marks tickets overdue and warns of due times (see
// checkClocks). It reads the desk's clock, so a fake clock moves it.
//
// Several schedulers may run on one database (several gateways): each
// piece of work is claimed in the transaction that does it, so it happens
// once. The ticket is locked there (store.Tx.LockTicket: under PostgreSQL's
// READ COMMITTED, reading it again is no claim, as two gateways would both
// read it snoozed) and read again, and must still be snoozed; an alert is
// recorded (store.Tx.ClaimAlert) before it is sent.
type Scheduler struct {
	d     *Desk
	every time.Duration
	batch int
	log   *slog.Logger
	onLag func(work string, lag time.Duration)
}

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	// Interval is how often it looks for work; zero means a second.
	Interval time.Duration
	// Batch caps the tickets taken per search; zero means 100.
	Batch int
	// OnLag, when set, is told for each piece of work done how long after
	// its due moment it was done, by the desk's clock (for metrics): work
	// is "wake" (a snoozed ticket) or "clock" (an SLA warning or due time).
	OnLag func(work string, lag time.Duration)
}

// Scheduler returns the desk's scheduler.
func (d *Desk) Scheduler(o SchedulerOptions) *Scheduler {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.OnLag == nil {
		o.OnLag = func(string, time.Duration) {}
	}
	return &Scheduler{d: d, every: o.Interval, batch: o.Batch, log: d.log, onLag: o.OnLag}
}

// Run looks for work every interval until ctx is cancelled. A failed round
// is logged and tried again at the next; Run returns nil once ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// maxRounds bounds the searches of one kind per tick, so that work that
// fails to move on (a ticket gone) cannot hold the scheduler.
const maxRounds = 10

// Tick does the work due now and returns how many tickets it looked at.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	n := 0
	for _, round := range []struct {
		work string
		find func(context.Context, time.Time, int) ([]store.DueTicket, error)
		do   func(*Op, *ticket.Ticket) error
	}{
		{"wake", s.d.st.SnoozedDue, s.wake},
		{"clock", s.d.st.ClocksDue, func(o *Op, t *ticket.Ticket) error { return o.checkClocks(t) }},
	} {
		for range maxRounds {
			due, err := round.find(ctx, s.d.now(), s.batch)
			if err != nil {
				return n, err
			}
			var errs []error
			for _, d := range due {
				err := s.do(ctx, d, round.do)
				if err == nil {
					s.onLag(round.work, max(s.d.now().Sub(d.At), 0))
				}
				errs = append(errs, err)
			}
			n += len(due)
			if err := errors.Join(errs...); err != nil {
				return n, err
			}
			if len(due) < s.batch {
				break
			}
		}
	}
	return n, nil
}

// do runs fn on one ticket as the scheduler, in its own transaction.
func (s *Scheduler) do(ctx context.Context, d store.DueTicket, fn func(*Op, *ticket.Ticket) error) error {
	prop, err := s.d.st.CachedPropertyByID(ctx, d.PropertyID)
	if err != nil {
		return err
	}
	return s.d.Run(ctx, prop, AsSystem("scheduler"), func(o *Op) error {
		if err := o.Tx.LockTicket(prop.ID, d.TicketID); err != nil {
			return err
		}
		t, found, err := o.Tx.TicketByID(prop.ID, d.TicketID)
		if err != nil || !found {
			return err
		}
		return fn(o, &t)
	})
}

// wake opens a snoozed ticket again, if it still sleeps and its time came.
func (s *Scheduler) wake(o *Op, t *ticket.Ticket) error {
	if t.Status != ticket.StatusSnoozed || t.SnoozedUntil.IsZero() || t.SnoozedUntil.After(o.Now()) {
		return nil // woken by someone else, or snoozed again
	}
	s.log.Info("wake", "property", o.Prop().Slug, "ticket", t.Number, "snoozed_until", t.SnoozedUntil)
	return o.SetStatus(t, ticket.StatusOpen, "woken: snoozed until "+stamp(t.SnoozedUntil))
}
