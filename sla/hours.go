package sla

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hours are business hours: when the team works, in its time zone.
type Hours struct {
	// Zone is an IANA time zone name ("Europe/Berlin"); the schedule and
	// the holidays are read in it.
	Zone string `json:"time_zone"`
	Week Week   `json:"week"`
	// Holidays are dates ("2026-12-25") on which no time counts.
	Holidays []string `json:"holidays,omitempty"`
}

// MaxHolidays bounds the holidays of a policy.
const MaxHolidays = 1000

// Interval is a span of one day's open time, from Open to Close after
// midnight (local wall time); Close is at most 24:00. An interval does not
// cross midnight: a night shift is two intervals, one on each day.
type Interval struct {
	Open, Close time.Duration
}

// String writes the interval as "09:00-17:00".
func (iv Interval) String() string { return clock(iv.Open) + "-" + clock(iv.Close) }

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Week is the weekly schedule: the open intervals of each day, indexed by
// time.Weekday (Sunday first), in order.
type Week [7][]Interval

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseHours reads a weekly schedule: groups separated by ";", each a list
// of days and a list of intervals, "mon-fri 09:00-12:00,13:00-17:00; sat
// 10:00-14:00". Days are named by their first three letters, as a range
// ("mon-fri", "fri-mon" wraps) or a list ("mon,wed,fri").
func ParseHours(spec string) (Week, error) {
	var w Week
	for group := range strings.SplitSeq(spec, ";") {
		group = strings.TrimSpace(group)
		if group == "" {
			continue
		}
		if err := w.add(group); err != nil {
			return Week{}, err
		}
	}
	return w, w.check()
}

// Merge adds the intervals of o to w.
func (w Week) Merge(o Week) (Week, error) {
	for d := range w {
		w[d] = append(slices.Clone(w[d]), o[d]...)
		slices.SortFunc(w[d], func(a, b Interval) int { return int(a.Open - b.Open) })
	}
	return w, w.check()
}

// add adds one group, "mon-fri 09:00-17:00".
func (w *Week) add(group string) error {
	days, spans, ok := strings.Cut(group, " ")
	if !ok {
		return fmt.Errorf("hours %q: want days and times, such as \"mon-fri 09:00-17:00\"", group)
	}
	which, err := parseDays(days)
	if err != nil {
		return fmt.Errorf("hours %q: %w", group, err)
	}
	var ivs []Interval
	for span := range strings.SplitSeq(strings.TrimSpace(spans), ",") {
		iv, err := parseInterval(strings.TrimSpace(span))
		if err != nil {
			return fmt.Errorf("hours %q: %w", group, err)
		}
		ivs = append(ivs, iv)
	}
	for _, d := range which {
		w[d] = append(w[d], ivs...)
		slices.SortFunc(w[d], func(a, b Interval) int { return int(a.Open - b.Open) })
	}
	return nil
}

// parseDays reads "mon-fri", "sat" or "mon,wed,fri".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for part := range strings.SplitSeq(strings.ToLower(s), ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := parseDay(from)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseDay(to); err != nil {
				return nil, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseDay(s string) (time.Weekday, error) {
	s = strings.TrimSpace(s)
	for i, n := range dayNames {
		if s == n || s == n+dayRest[i] {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a day (mon, tue, wed, thu, fri, sat, sun)", s)
}

var dayRest = [7]string{"day", "day", "sday", "nesday", "rsday", "day", "urday"}

// parseInterval reads "09:00-17:00".
func parseInterval(s string) (Interval, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Interval{}, fmt.Errorf("%q is not a span of time such as 09:00-17:00", s)
	}
	open, err1 := parseClock(a)
	cl, err2 := parseClock(b)
	if err := errors.Join(err1, err2); err != nil {
		return Interval{}, err
	}
	iv := Interval{open, cl}
	if open >= cl {
		return Interval{}, fmt.Errorf("%s: the end must come after the start on the same day (write a night shift as two spans, one each day)", iv)
	}
	return iv, nil
}

// parseClock reads "09:00" or "24:00".
func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) < 1 || len(h) > 2 ||
		hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day from 00:00 to 24:00", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// check refuses overlapping intervals and a week without open time.
func (w Week) check() error {
	open := false
	for d, ivs := range w {
		for i, iv := range ivs {
			if iv.Open < 0 || iv.Close > 24*time.Hour || iv.Open >= iv.Close {
				return fmt.Errorf("%s %s: not a span within one day", dayNames[d], iv)
			}
			if i > 0 && iv.Open < ivs[i-1].Close {
				return fmt.Errorf("%s: %s and %s overlap", dayNames[d], ivs[i-1], iv)
			}
			open = true
		}
	}
	if !open {
		return errors.New("business hours without any open time: name the days and times the team works")
	}
	return nil
}

// String writes the week as ParseHours reads it, days with the same
// intervals named together.
func (w Week) String() string {
	var groups []string
	for i := 1; i <= 7; {
		d := i % 7
		if len(w[d]) == 0 {
			i++
			continue
		}
		j := i + 1
		for j <= 7 && slices.Equal(w[j%7], w[d]) {
			j++
		}
		days := dayNames[d]
		if j-i > 1 {
			days += "-" + dayNames[(j-1)%7]
		}
		var spans []string
		for _, iv := range w[d] {
			spans = append(spans, iv.String())
		}
		groups = append(groups, days+" "+strings.Join(spans, ","))
		i = j
	}
	return strings.Join(groups, "; ")
}

// MarshalJSON writes the week as an object of day names and spans,
// {"mon": ["09:00-17:00"]}, Monday first.
func (w Week) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i := 1; i <= 7; i++ {
		d := i % 7
		if len(w[d]) == 0 {
			continue
		}
		spans := make([]string, len(w[d]))
		for j, iv := range w[d] {
			spans[j] = iv.String()
		}
		v, err := json.Marshal(spans)
		if err != nil {
			return nil, err
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), dayNames[d]...), `":`...)
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (w *Week) UnmarshalJSON(b []byte) error {
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*w = Week{}
	for day, spans := range m {
		d, err := parseDay(day)
		if err != nil {
			return err
		}
		for _, s := range spans {
			iv, err := parseInterval(s)
			if err != nil {
				return err
			}
			w[d] = append(w[d], iv)
		}
		slices.SortFunc(w[d], func(a, b Interval) int { return int(a.Open - b.Open) })
	}
	return nil
}
