package desk

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// slaDesk is a desk on a fresh database with one property, an admin
// (alice, in the default department), a customer and a policy.
type slaDesk struct {
	*Desk
	t      *testing.T
	path   string
	clock  *fakeClock
	prop   ticket.Property
	alice  ticket.Member
	zoe    ticket.Contact
	policy sla.Policy
}

// t0 is a Monday, 09:00 UTC.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newSLADesk(t *testing.T, p sla.Policy) *slaDesk {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{t: t0}
	path := filepath.Join(t.TempDir(), "desk.db")
	d := &slaDesk{t: t, path: path, clock: clock, policy: p}
	d.Desk = d.open()
	var err error
	if d.prop, err = d.st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}, TagFormat: "[#%d]"}); err != nil {
		t.Fatal(err)
	}
	if d.alice, err = d.st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	err = d.st.Update(ctx, func(tx *store.Tx) error {
		d.zoe, err = tx.Contact(d.prop.ID, "zoe@customer.test", "Zoe")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetSLAPolicy(ctx, d.prop, AsMember(d.alice), p); err != nil {
		t.Fatal(err)
	}
	return d
}

// open opens another Desk on the same database: a second gateway.
func (d *slaDesk) open() *Desk {
	d.t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: d.path, Now: d.clock.Now})
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		d.t.Fatal(err)
	}
	return New(Options{Store: st, Keys: keys, Now: d.clock.Now})
}

// openTicket opens a ticket from zoe at the clock's time.
func (d *slaDesk) openTicket(prio ticket.Priority) ticket.Ticket {
	d.t.Helper()
	var tk ticket.Ticket
	err := d.Run(context.Background(), d.prop, AsContact(d.zoe), func(o *Op) error {
		tk = ticket.Ticket{Subject: "Invoice is wrong", Status: ticket.StatusOpen, Priority: prio}
		return o.Open(&tk, d.zoe, "mail from zoe")
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

// do runs fn as alice on ticket tk.
func (d *slaDesk) do(tk ticket.Ticket, fn func(*Op, *ticket.Ticket) error) ticket.Ticket {
	d.t.Helper()
	out, err := d.Do(context.Background(), d.prop, AsMember(d.alice), tk.Number, fn)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// at moves the clock to t0+off and runs a scheduler round.
func (d *slaDesk) at(off time.Duration, s ...*Scheduler) {
	d.t.Helper()
	d.clock.Set(t0.Add(off))
	if len(s) == 0 {
		s = []*Scheduler{d.Scheduler(SchedulerOptions{})}
	}
	for _, sc := range s {
		if _, err := sc.Tick(context.Background()); err != nil {
			d.t.Fatal(err)
		}
	}
}

func (d *slaDesk) ticket(tk ticket.Ticket) ticket.Ticket {
	d.t.Helper()
	out, err := d.st.Ticket(context.Background(), "acme", tk.Number)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// events lists the ticket's events of a kind, as "detail" lines.
func (d *slaDesk) events(tk ticket.Ticket, kind string) []string {
	d.t.Helper()
	evs, err := d.st.Events(context.Background(), tk.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e.Detail)
		}
	}
	return out
}

// notices counts alice's pending notices of a topic ("Overdue", "Due soon").
func (d *slaDesk) notices(topic string) int {
	d.t.Helper()
	var n []store.PendingNotice
	err := d.st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = tx.PendingNotices(store.NoticeGroup{PropertyID: d.prop.ID, MemberID: d.alice.ID, Topic: topic})
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return len(n)
}

func hours(h float64) sla.Duration { return sla.Duration(time.Duration(h * float64(time.Hour))) }

// policy24x7: medium 4h / 2d, high 1h / 8h.
func policy24x7() sla.Policy {
	return sla.Policy{Targets: map[ticket.Priority]sla.Targets{
		ticket.PriorityMedium: {FirstResponse: hours(4), Resolution: hours(48)},
		ticket.PriorityHigh:   {FirstResponse: hours(1), Resolution: hours(8)},
	}}
}

// TestPriorityChangeRecalculates: a shorter target, from the ticket's start,
// makes the ticket overdue at once (one alert, one event); a longer one
// moves the due times ahead and takes the mark off.
func TestPriorityChangeRecalculates(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	tk := d.openTicket(ticket.PriorityMedium)
	if !tk.FirstResponseDue.Equal(t0.Add(4*time.Hour)) || !tk.ResolutionDue.Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("due times %s, %s; want t0+4h, t0+48h", tk.FirstResponseDue, tk.ResolutionDue)
	}
	d.at(2 * time.Hour)
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.SetPriority(t, ticket.PriorityHigh) })
	if !tk.FirstResponseDue.Equal(t0.Add(time.Hour)) || !tk.ResolutionDue.Equal(t0.Add(8*time.Hour)) {
		t.Errorf("after medium → high: due %s, %s; want t0+1h, t0+8h", tk.FirstResponseDue, tk.ResolutionDue)
	}
	want := "priority medium → high: first response due 2026-11-23T13:00:00Z → 2026-11-23T10:00:00Z; " +
		"resolution due 2026-11-25T09:00:00Z → 2026-11-23T17:00:00Z"
	if ev := d.events(tk, "sla"); len(ev) != 1 || ev[0] != want {
		t.Errorf("sla events %q, want %q", ev, want)
	}
	d.at(2*time.Hour + time.Second)
	d.at(2*time.Hour + 2*time.Second)
	tk = d.ticket(tk)
	if tk.OverdueAt.IsZero() || d.notices("Overdue") != 1 || len(d.events(tk, "overdue")) != 1 {
		t.Errorf("overdue at %s, %d notices, events %q; want marked, one notice, one event",
			tk.OverdueAt, d.notices("Overdue"), d.events(tk, "overdue"))
	}
	if d.notices("Due soon") != 0 {
		t.Errorf("a warning was sent for a target already missed")
	}
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.SetPriority(t, ticket.PriorityMedium) })
	if !tk.OverdueAt.IsZero() || !strings.HasSuffix(d.events(tk, "sla")[1], "no longer overdue") {
		t.Errorf("after high → medium: overdue at %s, events %q", tk.OverdueAt, d.events(tk, "sla"))
	}
}

// TestWarningAndOverdueOnceWithTwoSchedulers: two gateways' schedulers on
// one database, racing, send one warning at 80% of the target and one
// overdue alert at the due time.
func TestWarningAndOverdueOnceWithTwoSchedulers(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	other := d.open()
	tk := d.openTicket(ticket.PriorityHigh) // first response 1h: warned at 48m
	race := func(off time.Duration) {
		d.clock.Set(t0.Add(off))
		var wg sync.WaitGroup
		for _, desk := range []*Desk{d.Desk, other, d.Desk, other} {
			wg.Go(func() {
				if _, err := desk.Scheduler(SchedulerOptions{}).Tick(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	race(47 * time.Minute)
	if n := d.notices("Due soon"); n != 0 {
		t.Errorf("at 47m: %d warnings, want none yet", n)
	}
	race(48 * time.Minute)
	race(50 * time.Minute)
	if n, ev := d.notices("Due soon"), d.events(tk, "sla-warning"); n != 1 || len(ev) != 1 {
		t.Errorf("at 50m: %d warnings, events %q; want one", n, ev)
	}
	race(time.Hour)
	race(time.Hour + time.Minute)
	if n, ev := d.notices("Overdue"), d.events(tk, "overdue"); n != 1 || len(ev) != 1 || ev[0] != "first response was due 2026-11-23T10:00:00Z" {
		t.Errorf("at 1h: %d overdue notices, events %q; want one", n, ev)
	}
	if tk = d.ticket(tk); !tk.OverdueAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("overdue at %s, want t0+1h", tk.OverdueAt)
	}
}

// TestFirstResponseMeetsTarget: an agent's answer before the due time
// meets the first-response target; the resolution clock runs on.
func TestFirstResponseMeetsTarget(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	tk := d.openTicket(ticket.PriorityHigh)
	d.at(30 * time.Minute)
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.Answered(t) })
	if !tk.FirstResponseAt.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("first response at %s, want t0+30m", tk.FirstResponseAt)
	}
	d.at(2 * time.Hour)
	if d.notices("Overdue") != 0 || d.notices("Due soon") != 0 || !d.ticket(tk).OverdueAt.IsZero() {
		t.Errorf("a met first response still alerted")
	}
	if ev := d.events(tk, "sla"); len(ev) != 1 || !strings.HasPrefix(ev[0], "first response within its target") {
		t.Errorf("sla events %q", ev)
	}
	d.at(8*time.Hour + time.Second)
	if ev := d.events(tk, "overdue"); len(ev) != 1 || !strings.HasPrefix(ev[0], "resolution was due") {
		t.Errorf("after 8h: overdue events %q, want the resolution", ev)
	}
}

// TestSnoozeStopsTheClocks: snoozed time does not count. The scheduler
// wakes the ticket at its time, and the due times move by the time it
// slept.
func TestSnoozeStopsTheClocks(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	tk := d.openTicket(ticket.PriorityHigh) // due t0+1h, t0+8h
	d.at(30 * time.Minute)
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.Snooze(t, t0.Add(3*time.Hour+30*time.Minute)) })
	d.at(3 * time.Hour) // past the first response's due time: nothing, it sleeps
	if tk = d.ticket(tk); tk.Status != ticket.StatusSnoozed || !tk.OverdueAt.IsZero() || d.notices("Overdue") != 0 {
		t.Fatalf("while snoozed: %s, overdue %s", tk.Status, tk.OverdueAt)
	}
	d.at(3*time.Hour + 30*time.Minute)
	tk = d.ticket(tk)
	if tk.Status != ticket.StatusOpen || !tk.SnoozedUntil.IsZero() {
		t.Fatalf("at the wake time: %s until %s, want open", tk.Status, tk.SnoozedUntil)
	}
	if ev := d.events(tk, "status"); len(ev) == 0 || ev[len(ev)-1] != "snoozed → open: woken: snoozed until 2026-11-23T12:30:00Z" {
		t.Errorf("status events %q", ev)
	}
	// 3h asleep: first response due t0+4h, resolution t0+11h.
	if !tk.FirstResponseDue.Equal(t0.Add(4*time.Hour)) || !tk.ResolutionDue.Equal(t0.Add(11*time.Hour)) {
		t.Errorf("after waking: due %s, %s; want t0+4h, t0+11h", tk.FirstResponseDue, tk.ResolutionDue)
	}
	d.at(4*time.Hour + time.Second)
	if d.notices("Overdue") != 1 {
		t.Errorf("the shifted due time passed: %d overdue notices, want 1", d.notices("Overdue"))
	}
}

// TestClosedTicketIsNeverOverdue: closing stops the clocks; reopening runs
// them on with the time that was left.
func TestClosedTicketIsNeverOverdue(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	tk := d.openTicket(ticket.PriorityHigh)
	d.at(10 * time.Minute)
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.Close(t, ticket.ClosedResolved) })
	d.at(20 * time.Hour)
	if tk = d.ticket(tk); !tk.OverdueAt.IsZero() || d.notices("Overdue")+d.notices("Due soon") != 0 {
		t.Fatalf("a closed ticket was alerted (overdue at %s)", tk.OverdueAt)
	}
	tk = d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.Reopen(t) })
	if want := t0.Add(20*time.Hour + 50*time.Minute); !tk.FirstResponseDue.Equal(want) {
		t.Errorf("reopened: first response due %s, want %s (50m were left)", tk.FirstResponseDue, want)
	}
}

// TestBusinessHoursDue: with business hours, a ticket opened late on a
// Friday is due on Monday.
func TestBusinessHoursDue(t *testing.T) {
	week, err := sla.ParseHours("mon-fri 09:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	p := policy24x7()
	p.Hours = &sla.Hours{Zone: "Europe/Berlin", Week: week}
	d := newSLADesk(t, p)
	d.clock.Set(time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)) // Friday 16:30 in Berlin
	tk := d.openTicket(ticket.PriorityHigh)
	if want := time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC); !tk.FirstResponseDue.Equal(want) {
		t.Errorf("first response due %s, want %s (Monday 09:30 Berlin)", tk.FirstResponseDue, want)
	}
}

// TestImportStartsNoClocks: history imported quietly has no due times.
func TestImportStartsNoClocks(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	var tk ticket.Ticket
	err := d.Run(context.Background(), d.prop, AsSystem("import"), func(o *Op) error {
		o.Queue.Silent = true
		tk = ticket.Ticket{Subject: "Old", Status: ticket.StatusOpen, Priority: ticket.PriorityHigh}
		return o.Open(&tk, d.zoe, "imported")
	})
	if err != nil {
		t.Fatal(err)
	}
	d.at(48 * time.Hour)
	if tk = d.ticket(tk); !tk.FirstResponseDue.IsZero() || !tk.OverdueAt.IsZero() || d.notices("Overdue") != 0 {
		t.Errorf("imported ticket: due %s, overdue %s", tk.FirstResponseDue, tk.OverdueAt)
	}
}

// TestSLAPolicyAdminsOnly: agents may not set the policy; a bad policy is
// refused whole.
func TestSLAPolicyAdminsOnly(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	bob, err := d.st.AddMember(context.Background(), "acme", ticket.Member{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetSLAPolicy(context.Background(), d.prop, AsMember(bob), policy24x7()); err == nil || !strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent setting the policy: %v", err)
	}
	bad := sla.Policy{WarnShare: 2}
	if err := d.SetSLAPolicy(context.Background(), d.prop, AsMember(d.alice), bad); err == nil || !strings.Contains(err.Error(), "warn share") {
		t.Errorf("a bad policy: %v", err)
	}
}

// TestSchedulerLag: the scheduler tells OnLag, for each piece of work it
// did, how long after its due moment it did it.
func TestSchedulerLag(t *testing.T) {
	d := newSLADesk(t, policy24x7())
	type lag struct {
		work string
		lag  time.Duration
	}
	var got []lag
	s := d.Scheduler(SchedulerOptions{OnLag: func(work string, l time.Duration) { got = append(got, lag{work, l}) }})
	tk := d.openTicket(ticket.PriorityHigh) // first response due t0+1h
	d.do(tk, func(o *Op, t *ticket.Ticket) error { return o.Snooze(t, t0.Add(10*time.Minute)) })
	d.at(10*time.Minute+3*time.Second, s)
	if len(got) == 0 || got[0] != (lag{"wake", 3 * time.Second}) {
		t.Fatalf("woken 3s late: lags %v, want [{wake 3s}] first", got)
	}
	got = nil
	d.at(2*time.Hour, s)
	// The warning at 80% of the first response's hour fell due at
	// t0+48m, moved by the 10m3s asleep: done at t0+2h, 1h1m57s late.
	if want := (lag{"clock", time.Hour + time.Minute + 57*time.Second}); len(got) == 0 || got[0] != want {
		t.Errorf("the clock's round: lags %v, want %v first", got, want)
	}
}
