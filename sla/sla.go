// Package sla is the calendar arithmetic of service-level targets: a
// property's policy (per priority, how soon the first answer and the
// resolution are due), its optional business hours (a weekly schedule in an
// IANA time zone, and holidays), and the two computations the desk needs:
// when a target falls due counting only open time (Clock.Due), and how much
// open time passed between two instants (Clock.Elapsed).
//
// The package is pure: it reads no clock and does no I/O beyond loading a
// time zone (time.LoadLocation; cmd/postdesk embeds time/tzdata so this
// works on a machine without zoneinfo).
package sla

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// DefaultWarnShare is the share of a target after which the team is warned
// that it falls due soon, when the policy sets none.
const DefaultWarnShare = 0.8

// MaxTarget bounds a target: a year and a day.
const MaxTarget = 366 * 24 * time.Hour

// Duration is a target's length. As text it is a Go duration ("90m",
// "1h30m") or a count of days or weeks first ("2d", "1d12h", "1w"); a day
// is 24 hours of counted time.
type Duration time.Duration

// ParseDuration reads a Go duration that may begin with a count of weeks
// ("1w") and days ("2d"): "2d", "1d12h", "1w2d", "45m".
func ParseDuration(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, errors.New("empty duration (want e.g. 4h, 90m, 2d or 1d12h)")
	}
	var total time.Duration
	for _, unit := range []struct {
		suffix byte
		size   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || s[i] != unit.suffix {
			continue
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || n > 5000 {
			return 0, fmt.Errorf("%q: too long a duration", in)
		}
		total += time.Duration(n) * unit.size
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (want e.g. 4h, 90m, 2d or 1d12h)", in)
		}
		total += d
	}
	if total < 0 || total > 5000*24*time.Hour {
		return 0, fmt.Errorf("%q: a duration from 0 to 5000 days", in)
	}
	return total, nil
}

// FormatDuration writes d the way ParseDuration reads it: whole days as
// "Nd", then the rest as a Go duration ("1d2h0m0s" becomes "1d2h").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "d")
		d -= days * 24 * time.Hour
	}
	if d > 0 {
		s := d.String() // 4h0m0s, 1m30s, 10s
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		b.WriteString(s)
	}
	return b.String()
}

// MarshalText writes the duration as FormatDuration does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(FormatDuration(time.Duration(d))), nil }

// UnmarshalText reads the duration as ParseDuration does.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// Targets are the two targets of one priority; zero is no target.
type Targets struct {
	FirstResponse Duration `json:"first_response,omitempty"`
	Resolution    Duration `json:"resolution,omitempty"`
}

// Policy is a property's service-level policy.
type Policy struct {
	// Targets per priority; a priority not named has no targets.
	Targets map[ticket.Priority]Targets `json:"targets"`
	// WarnShare is the share of a target's counted time after which the
	// team is warned (0: DefaultWarnShare).
	WarnShare float64 `json:"warn_share,omitempty"`
	// Hours, when set, makes only open time count; nil counts every hour
	// of every day.
	Hours *Hours `json:"hours,omitempty"`
}

// Target returns the targets of priority p.
func (p Policy) Target(pr ticket.Priority) Targets { return p.Targets[pr] }

// Warn is the share of a target after which the team is warned.
func (p Policy) Warn() float64 {
	if p.WarnShare == 0 {
		return DefaultWarnShare
	}
	return p.WarnShare
}

// Clock returns the policy's calendar. It checks only what building the
// calendar needs (the hours' zone); Validate checks the rest, once, when a
// policy is set, so that opening a ticket does not compute every target's
// due time again.
func (p Policy) Clock() (*Clock, error) {
	if p.Hours == nil {
		return &Clock{always: true}, nil
	}
	c, err := p.Hours.clock()
	if err != nil {
		return nil, fmt.Errorf("SLA policy: %w", err)
	}
	return c, nil
}

// Validate reports every problem of the policy at once, among them a
// target its hours could not reach.
func (p Policy) Validate() error {
	var errs []error
	for pr := range p.Targets {
		if pr.Rank() == 0 {
			errs = append(errs, fmt.Errorf("unknown priority %q", pr))
		}
	}
	for _, pr := range ticket.Priorities() {
		t := p.Targets[pr]
		for _, d := range []struct {
			name string
			d    Duration
		}{{"first response", t.FirstResponse}, {"resolution", t.Resolution}} {
			if d.d < 0 || time.Duration(d.d) > MaxTarget {
				errs = append(errs, fmt.Errorf("%s target for %s: %s is not between 0 and 366 days", d.name, pr, FormatDuration(time.Duration(d.d))))
			}
		}
	}
	if p.WarnShare < 0 || p.WarnShare >= 1 {
		errs = append(errs, fmt.Errorf("warn share %g: want a share between 0 and 1, such as 0.8", p.WarnShare))
	}
	if p.Hours != nil {
		if c, err := p.Hours.clock(); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, c.reaches(p.Targets)...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("SLA policy: %w", err)
	}
	return nil
}
