package sla

import (
	"fmt"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// Clock counts a policy's time: every instant (24x7), or only the open
// time of its business hours.
type Clock struct {
	always   bool
	loc      *time.Location
	week     Week
	holidays map[date]bool
}

// date is a day of the calendar, in the clock's zone.
type date struct {
	y int
	m time.Month
	d int
}

func (d date) next() date {
	t := time.Date(d.y, d.m, d.d+1, 12, 0, 0, 0, time.UTC)
	return date{t.Year(), t.Month(), t.Day()}
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
}

// maxDays bounds the days a computation walks: 40 years.
const maxDays = 40 * 366

// span is one open interval as two instants.
type span struct{ start, end time.Time }

// clock compiles business hours.
func (h Hours) clock() (*Clock, error) {
	if h.Zone == "" {
		return nil, fmt.Errorf("business hours need a time zone, such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(h.Zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", h.Zone, err)
	}
	if err := h.Week.check(); err != nil {
		return nil, err
	}
	if len(h.Holidays) > MaxHolidays {
		return nil, fmt.Errorf("%d holidays: at most %d", len(h.Holidays), MaxHolidays)
	}
	c := &Clock{loc: loc, week: h.Week, holidays: map[date]bool{}}
	for _, s := range h.Holidays {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("holiday %q: want a date such as 2026-12-25", s)
		}
		c.holidays[date{t.Year(), t.Month(), t.Day()}] = true
	}
	return c, nil
}

// reaches checks that every target falls due within the bound of days a
// computation walks (a schedule open a minute a week never reaches a
// resolution target of 300 days).
func (c *Clock) reaches(targets map[ticket.Priority]Targets) []error {
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var errs []error
	for _, pr := range ticket.Priorities() {
		t := targets[pr]
		for _, d := range []Duration{t.FirstResponse, t.Resolution} {
			if _, ok := c.due(ref, time.Duration(d)); !ok {
				errs = append(errs, fmt.Errorf("%s target %s: the business hours are open too little to reach it in 40 years",
					pr, FormatDuration(time.Duration(d))))
			}
		}
	}
	return errs
}

// Always returns the clock that counts every instant: a policy without
// business hours.
func Always() *Clock { return &Clock{always: true} }

// AroundTheClock reports whether every instant counts (no business hours).
func (c *Clock) AroundTheClock() bool { return c.always }

// Location is the zone of the business hours (UTC without them).
func (c *Clock) Location() *time.Location {
	if c.always {
		return time.UTC
	}
	return c.loc
}

// Due returns the instant at which d of counted time has passed since
// start: start+d around the clock, or, with business hours, after d of
// open time, skipping closed hours, closed days and holidays. Open spans
// are read in the zone on each day, so a day on which daylight saving
// time begins or ends counts the hours it really has. A target the
// schedule cannot reach in 40 years falls due at the end of that search.
func (c *Clock) Due(start time.Time, d time.Duration) time.Time {
	t, _ := c.due(start, d)
	return t
}

func (c *Clock) due(start time.Time, d time.Duration) (time.Time, bool) {
	if d <= 0 {
		return start, true
	}
	if c.always {
		return start.Add(d), true
	}
	cur := start
	day := c.dayOf(start)
	for range maxDays {
		for _, sp := range c.open(day) {
			if !cur.Before(sp.end) {
				continue
			}
			if sp.start.After(cur) {
				cur = sp.start
			}
			if left := sp.end.Sub(cur); d <= left {
				return cur.Add(d).In(start.Location()), true
			}
			d -= sp.end.Sub(cur)
			cur = sp.end
		}
		day = day.next()
	}
	return cur.In(start.Location()), false
}

// Elapsed returns the counted time between from and to: to-from around the
// clock, or the open time between them. It is zero when to is not after
// from.
func (c *Clock) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always {
		return to.Sub(from)
	}
	var sum time.Duration
	cur := from
	day := c.dayOf(from)
	for range maxDays {
		for _, sp := range c.open(day) {
			if sp.start.After(cur) {
				cur = sp.start
			}
			if !cur.Before(to) {
				return sum
			}
			end := sp.end
			if end.After(to) {
				end = to
			}
			if end.After(cur) {
				sum += end.Sub(cur)
				cur = end
			}
		}
		day = day.next()
	}
	return sum
}

// dayOf is t's day in the clock's zone.
func (c *Clock) dayOf(t time.Time) date {
	l := t.In(c.loc)
	return date{l.Year(), l.Month(), l.Day()}
}

// open returns a day's open spans as instants, none on a holiday. A span
// that begins in the hour skipped when daylight saving time begins begins
// when the day goes on (time.Date moves it past the gap).
func (c *Clock) open(d date) []span {
	if c.holidays[d] {
		return nil
	}
	ivs := c.week[d.weekday()]
	out := make([]span, 0, len(ivs))
	for _, iv := range ivs {
		s := c.at(d, iv.Open)
		e := c.at(d, iv.Close)
		if e.After(s) {
			out = append(out, span{s, e})
		}
	}
	return out
}

// at is the instant of wall time off after midnight of d.
func (c *Clock) at(d date, off time.Duration) time.Time {
	return time.Date(d.y, d.m, d.d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, c.loc)
}
