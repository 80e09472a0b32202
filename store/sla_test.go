package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/ticket"
)

// slaFixture opens a store with a property and n open tickets.
func slaFixture(t *testing.T, n int) (*Store, ticket.Property, []ticket.Ticket) {
	t.Helper()
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	var out []ticket.Ticket
	err = st.Update(ctx, func(tx *Tx) error {
		out = out[:0]
		c, err := tx.Contact(p.ID, "zoe@y.test", "Zoe")
		if err != nil {
			return err
		}
		for range n {
			tk := ticket.Ticket{PropertyID: p.ID, Subject: "s", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: c.ID}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			out = append(out, tk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, p, out
}

func update(t *testing.T, st *Store, fn func(*Tx) error) {
	t.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestSLAPolicyRoundTrip(t *testing.T) {
	st, p, _ := slaFixture(t, 0)
	ctx := context.Background()
	if _, found, err := st.SLAPolicy(ctx, p.ID); err != nil || found {
		t.Fatalf("SLAPolicy before any: found %v, %v", found, err)
	}
	week, _ := sla.ParseHours("mon-fri 09:00-17:00")
	pol := sla.Policy{Targets: map[ticket.Priority]sla.Targets{ticket.PriorityHigh: {FirstResponse: sla.Duration(time.Hour)}},
		Hours: &sla.Hours{Zone: "Europe/Berlin", Week: week}}
	for range 2 { // the second replaces the first
		update(t, st, func(tx *Tx) error { return tx.SetSLAPolicy(p.ID, pol, "alice@x.test") })
		pol.WarnShare = 0.5
	}
	got, found, err := st.SLAPolicy(ctx, p.ID)
	if err != nil || !found || got.Targets[ticket.PriorityHigh].FirstResponse != sla.Duration(time.Hour) ||
		got.Hours.Week.String() != "mon-fri 09:00-17:00" || got.WarnShare != 0.5 {
		t.Errorf("SLAPolicy = %+v, %v, %v", got, found, err)
	}
}

func TestSnoozedDue(t *testing.T) {
	st, _, tks := slaFixture(t, 4)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	update(t, st, func(tx *Tx) error {
		for i, s := range []struct {
			status ticket.Status
			until  time.Time
		}{
			{ticket.StatusSnoozed, now.Add(-time.Minute)}, // due
			{ticket.StatusSnoozed, now.Add(time.Minute)},  // not yet
			{ticket.StatusOpen, now.Add(-time.Hour)},      // not snoozed (a stale time)
			{ticket.StatusSnoozed, now},                   // due, exactly now
		} {
			if err := tx.SetStatus(tks[i].ID, s.status); err != nil {
				return err
			}
			if err := tx.SetSnooze(tks[i].ID, s.until); err != nil {
				return err
			}
		}
		return nil
	})
	due, err := st.SnoozedDue(context.Background(), now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].TicketID != tks[0].ID || due[1].TicketID != tks[3].ID || !due[1].At.Equal(now) {
		t.Errorf("SnoozedDue = %+v, want tickets %d then %d", due, tks[0].ID, tks[3].ID)
	}
	if due, _ := st.SnoozedDue(context.Background(), now, 1); len(due) != 1 {
		t.Errorf("SnoozedDue limit 1 = %d rows", len(due))
	}
}

func TestClocksDue(t *testing.T) {
	st, p, tks := slaFixture(t, 3)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	update(t, st, func(tx *Tx) error {
		for i, next := range []time.Time{now.Add(-time.Second), now.Add(time.Second), {}} {
			c := SLAClock{TicketID: tks[i].ID, PropertyID: p.ID, RunningSince: now.Add(-time.Hour), Used: 90 * time.Minute,
				FirstResponseWarn: now.Add(time.Minute), Next: next}
			if err := tx.SetSLAClock(c); err != nil {
				return err
			}
		}
		return nil
	})
	due, err := st.ClocksDue(context.Background(), now, 10)
	if err != nil || len(due) != 1 || due[0].TicketID != tks[0].ID || due[0].PropertyID != p.ID {
		t.Errorf("ClocksDue = %+v, %v; want ticket %d alone", due, err, tks[0].ID)
	}
	update(t, st, func(tx *Tx) error {
		c, found, err := tx.SLAClock(tks[1].ID)
		if err != nil || !found || c.Used != 90*time.Minute || !c.FirstResponseWarn.Equal(now.Add(time.Minute)) ||
			!c.RunningSince.Equal(now.Add(-time.Hour)) {
			t.Errorf("SLAClock = %+v, %v, %v", c, found, err)
		}
		c.Next = time.Time{} // stop it
		return tx.SetSLAClock(c)
	})
	if due, _ := st.ClocksDue(context.Background(), now.Add(time.Hour), 10); len(due) != 1 {
		t.Errorf("after stopping a clock: ClocksDue = %+v, want one", due)
	}
}

// TestClaimAlert: an alert is claimed once per ticket, kind and due time.
func TestClaimAlert(t *testing.T) {
	st, _, tks := slaFixture(t, 1)
	due := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var got []bool
	update(t, st, func(tx *Tx) error {
		got = got[:0]
		for _, c := range []struct {
			kind string
			due  time.Time
		}{{"resolution-overdue", due}, {"resolution-overdue", due}, {"resolution-overdue", due.Add(time.Hour)}, {"resolution-warning", due}} {
			ok, err := tx.ClaimAlert(tks[0].ID, c.kind, c.due)
			if err != nil {
				return err
			}
			got = append(got, ok)
		}
		sent, err := tx.AlertSent(tks[0].ID, "resolution-overdue", due)
		got = append(got, sent)
		return err
	})
	if want := []bool{true, false, true, true, true}; !slices.Equal(got, want) {
		t.Errorf("claims = %v, want %v", got, want)
	}
}

// TestTicketSLAColumns: due times, the first answer and the overdue mark
// are read back with the ticket.
func TestTicketSLAColumns(t *testing.T) {
	st, _, tks := slaFixture(t, 1)
	fr, res, at := time.UnixMilli(1795000000000).UTC(), time.UnixMilli(1795100000000).UTC(), time.UnixMilli(1795050000000).UTC()
	update(t, st, func(tx *Tx) error {
		return errors.Join(tx.SetDueTimes(tks[0].ID, fr, res), tx.SetFirstResponseAt(tks[0].ID, at), tx.SetOverdue(tks[0].ID, res))
	})
	tk, err := st.TicketByID(context.Background(), tks[0].ID)
	if err != nil || !tk.FirstResponseDue.Equal(fr) || !tk.ResolutionDue.Equal(res) || !tk.FirstResponseAt.Equal(at) || !tk.OverdueAt.Equal(res) {
		t.Errorf("ticket %+v, %v", tk, err)
	}
}

// TestSchedulerQueriesUseIndexes: the scheduler's searches, run every
// second, read an index and no table.
func TestSchedulerQueriesUseIndexes(t *testing.T) {
	st := openTest(t)
	for name, q := range map[string]struct{ query, index, pgIndex string }{
		"snoozed due": {`SELECT id, property_id, snoozed_until FROM tickets
			WHERE status = 'snoozed' AND snoozed_until > 0 AND snoozed_until <= 5 ORDER BY snoozed_until LIMIT 10`, "tickets_snoozed", "tickets_snoozed"},
		"clocks due": {`SELECT ticket_id, property_id, next_at FROM sla_clocks WHERE next_at > 0 AND next_at <= 5 ORDER BY next_at LIMIT 10`, "sla_clocks_next", "sla_clocks_next"},
		"alert sent": {`SELECT 1 FROM sla_alerts WHERE ticket_id = 1 AND kind = 'x' AND due = 5`, "PRIMARY KEY", "sla_alerts_pkey"},
		"clock":      {`SELECT used_ms FROM sla_clocks WHERE ticket_id = 1`, "INTEGER PRIMARY KEY", "sla_clocks_pkey"},
		"policy":     {`SELECT policy FROM sla_policies WHERE property_id = 1`, "INTEGER PRIMARY KEY", "sla_policies_pkey"},
	} {
		index := q.index
		if onPostgres() {
			index = q.pgIndex
		}
		plan := queryPlan(t, st, name, q.query)
		all := strings.Join(plan, "\n")
		if strings.Contains(all, "SCAN ") || len(tableScans(plan)) > 0 || sorts(plan) || !strings.Contains(all, index) {
			t.Errorf("%s: want a search of %s without a scan or a sort:\n%s", name, index, all)
		}
	}
}
