package sla

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// Words is a policy in the words people write it in: the flags of
// `postdesk sla set` and the fields of the web inbox's SLA form, which
// bear the flags' names (errors name them so); each list item may hold
// several, separated by commas.
type Words struct {
	FirstResponse []string // PRIORITY=DURATION: "high=1h"
	Resolution    []string // PRIORITY=DURATION: "high=8h"
	// Hours are business hours, "mon-fri 09:00-17:00"; none: every hour
	// counts.
	Hours     []string
	Zone      string   // IANA time zone of the hours and holidays
	Holidays  []string // dates, "2026-12-25"
	WarnShare float64  // 0: DefaultWarnShare
}

// Policy builds the policy the words describe, every problem at once.
// The desk validates the policy whole when it is set.
func (w Words) Policy() (Policy, error) {
	p := Policy{Targets: map[ticket.Priority]Targets{}, WarnShare: w.WarnShare}
	var errs []error
	first, resolution := commaList(w.FirstResponse), commaList(w.Resolution)
	for _, kind := range []struct {
		name string
		list []string
		set  func(*Targets, Duration)
	}{
		{"--first-response", first, func(t *Targets, d Duration) { t.FirstResponse = d }},
		{"--resolution", resolution, func(t *Targets, d Duration) { t.Resolution = d }},
	} {
		for _, v := range kind.list {
			prio, d, err := priorityDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", kind.name, v, err))
				continue
			}
			t := p.Targets[prio]
			kind.set(&t, Duration(d))
			p.Targets[prio] = t
		}
	}
	if len(first)+len(resolution) == 0 {
		errs = append(errs, errors.New("give targets: --first-response PRIORITY=DURATION and/or --resolution PRIORITY=DURATION"))
	}
	if h, err := w.businessHours(); err != nil {
		errs = append(errs, err)
	} else {
		p.Hours = h
	}
	return p, errors.Join(errs...)
}

// businessHours reads the hours, the time zone and the holidays.
func (w Words) businessHours() (*Hours, error) {
	zone := strings.TrimSpace(w.Zone)
	holidays := commaList(w.Holidays)
	var specs []string
	for _, s := range w.Hours {
		if s = strings.TrimSpace(s); s != "" {
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		if zone != "" || len(holidays) > 0 {
			return nil, errors.New("--time-zone and --holiday go with --hours: without business hours every hour counts")
		}
		return nil, nil
	}
	if zone == "" {
		return nil, errors.New("--hours needs --time-zone, e.g. Europe/Berlin")
	}
	h := &Hours{Zone: zone, Holidays: holidays}
	for _, spec := range specs {
		wk, err := ParseHours(spec)
		if err != nil {
			return nil, fmt.Errorf("--hours: %w", err)
		}
		if h.Week, err = h.Week.Merge(wk); err != nil {
			return nil, fmt.Errorf("--hours: %w", err)
		}
	}
	return h, nil
}

// Words writes the policy in the words Policy reads.
func (p Policy) Words() Words {
	w := Words{WarnShare: p.WarnShare}
	for _, pr := range ticket.Priorities() {
		t, ok := p.Targets[pr]
		if !ok {
			continue
		}
		if t.FirstResponse != 0 {
			w.FirstResponse = append(w.FirstResponse, string(pr)+"="+FormatDuration(time.Duration(t.FirstResponse)))
		}
		if t.Resolution != 0 {
			w.Resolution = append(w.Resolution, string(pr)+"="+FormatDuration(time.Duration(t.Resolution)))
		}
	}
	if p.Hours != nil {
		w.Hours, w.Zone, w.Holidays = []string{p.Hours.Week.String()}, p.Hours.Zone, p.Hours.Holidays
	}
	return w
}

// priorityDuration reads "high=4h".
func priorityDuration(s string) (ticket.Priority, time.Duration, error) {
	name, dur, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, errors.New("want PRIORITY=DURATION, e.g. high=4h")
	}
	p, err := ticket.ParsePriority(strings.TrimSpace(name))
	if err != nil {
		return "", 0, err
	}
	d, err := ParseDuration(strings.TrimSpace(dur))
	return p, d, err
}

// commaList splits each item at commas and drops the blank ones.
func commaList(l []string) []string {
	var out []string
	for _, v := range l {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
