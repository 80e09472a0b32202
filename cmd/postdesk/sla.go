package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // SLA business hours name IANA zones; this works on a machine without zoneinfo

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/ticket"
)

// slaFlags are the flags of `sla set`.
type slaFlags struct {
	firstResponse, resolution, holidays listFlag
	hours                               listFlag
	zone                                *string
	warn                                *float64
}

func (f *slaFlags) define(fs *flag.FlagSet) {
	fs.Var(&f.firstResponse, "first-response", "PRIORITY=DURATION: how soon the first answer is due, e.g. high=1h (repeat, or separate by commas; durations as 90m, 4h, 2d)")
	fs.Var(&f.resolution, "resolution", "PRIORITY=DURATION: how soon the ticket is to be closed, e.g. high=8h (repeat, or separate by commas)")
	fs.Var(&f.hours, "hours", `business hours: "mon-fri 09:00-17:00", "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00" (repeatable); only open time counts. Without it, every hour counts`)
	f.zone = fs.String("time-zone", "", "IANA time zone of the business hours and holidays, e.g. Europe/Berlin")
	fs.Var(&f.holidays, "holiday", "a date on which no time counts, 2026-12-25 (repeat, or separate by commas)")
	f.warn = fs.Float64("warn-share", sla.DefaultWarnShare, "share of a target after which the assignee (or the department) is warned")
}

// policy builds the policy the flags describe, every problem at once,
// as the web inbox's SLA form does (sla.Words).
func (f *slaFlags) policy() (sla.Policy, error) {
	return sla.Words{FirstResponse: f.firstResponse, Resolution: f.resolution, Hours: f.hours, Zone: *f.zone,
		Holidays: f.holidays, WarnShare: *f.warn}.Policy()
}

func slaSet(ctx context.Context, e env) error {
	var f slaFlags
	c, err := openDesk(ctx, e, "sla set", true, 0, f.define)
	if err != nil {
		return err
	}
	defer c.st.Close()
	p, err := f.policy()
	if err != nil {
		return err
	}
	if err := c.desk.SetSLAPolicy(ctx, c.prop, c.actor, p); err != nil {
		return err
	}
	return c.printPolicy(e.stdout, p, true)
}

func slaShow(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "sla show", false, 0, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	p, found, err := c.desk.SLAPolicy(ctx, c.prop)
	if err != nil {
		return err
	}
	return c.printPolicy(e.stdout, p, found)
}

// printPolicy prints a property's policy: a table of targets, the warning
// share and the business hours.
func (c *deskCmd) printPolicy(w io.Writer, p sla.Policy, found bool) error {
	if !found {
		if c.json {
			return c.print(w, nil, nil)
		}
		fmt.Fprintf(terminal(w), "%s has no SLA policy: its tickets have no due times ('postdesk sla set' sets one).\n", c.prop.Slug)
		return nil
	}
	return c.print(w, p, func(tw *tabwriter.Writer) {
		fmt.Fprintln(tw, "PRIORITY\tFIRST RESPONSE\tRESOLUTION")
		for _, pr := range ticket.Priorities() {
			t := p.Target(pr)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", pr, targetCell(t.FirstResponse), targetCell(t.Resolution))
		}
		fmt.Fprintf(tw, "Warn at %g%% of a target.\n", p.Warn()*100)
		if p.Hours == nil {
			fmt.Fprintln(tw, "Every hour counts (no business hours).")
			return
		}
		fmt.Fprintf(tw, "Business hours: %s (%s).\n", p.Hours.Week, p.Hours.Zone)
		if len(p.Hours.Holidays) > 0 {
			fmt.Fprintf(tw, "Holidays: %s.\n", strings.Join(p.Hours.Holidays, ", "))
		}
	})
}

func targetCell(d sla.Duration) string {
	if d == 0 {
		return "-"
	}
	return sla.FormatDuration(time.Duration(d))
}

// slaLine is the SLA line of `ticket show`: due times, the first answer,
// and the overdue mark; empty for a ticket without due times.
func slaLine(t ticket.Ticket) string {
	if t.FirstResponseDue.IsZero() && t.ResolutionDue.IsZero() {
		return ""
	}
	at := func(v time.Time) string {
		if v.IsZero() {
			return "-"
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	}
	s := "First response due: " + at(t.FirstResponseDue)
	if !t.FirstResponseAt.IsZero() {
		s += " (answered " + at(t.FirstResponseAt) + ")"
	}
	s += "  Resolution due: " + at(t.ResolutionDue)
	if !t.OverdueAt.IsZero() {
		s += "  OVERDUE since " + at(t.OverdueAt)
	}
	return s
}

// statusCell is a ticket's status in listings, flagged when overdue.
func statusCell(t ticket.Ticket) string {
	if !t.OverdueAt.IsZero() {
		return string(t.Status) + " (overdue)"
	}
	return string(t.Status)
}
