package sla

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

func mustClock(t *testing.T, zone, hours string, holidays ...string) *Clock {
	t.Helper()
	w, err := ParseHours(hours)
	if err != nil {
		t.Fatalf("ParseHours(%q): %v", hours, err)
	}
	c, err := Policy{Hours: &Hours{Zone: zone, Week: w, Holidays: holidays}}.Clock()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDue: due times over closed hours, weekends, holidays and the two
// days a year daylight saving time changes the length of a day.
func TestDue(t *testing.T) {
	const berlin = "Europe/Berlin"
	tests := []struct {
		name, zone, hours string
		holidays          []string
		start             string
		target            time.Duration
		want              string
	}{
		{"within a day", berlin, "mon-fri 09:00-17:00", nil, "2026-11-23 10:00", 4 * time.Hour, "2026-11-23 14:00"},
		{"ends at close", berlin, "mon-fri 09:00-17:00", nil, "2026-11-23 09:00", 8 * time.Hour, "2026-11-23 17:00"},
		{"overnight", berlin, "mon-fri 09:00-17:00", nil, "2026-11-23 16:00", 2 * time.Hour, "2026-11-24 10:00"},
		{"before opening", berlin, "mon-fri 09:00-17:00", nil, "2026-11-23 06:00", time.Hour, "2026-11-23 10:00"},
		{"over the weekend", berlin, "mon-fri 09:00-17:00", nil, "2026-11-27 16:00", 2 * time.Hour, "2026-11-30 10:00"},
		{"from a Saturday", berlin, "mon-fri 09:00-17:00", nil, "2026-11-28 11:00", 30 * time.Minute, "2026-11-30 09:30"},
		{"lunch break", berlin, "mon-fri 09:00-12:00,13:00-17:00", nil, "2026-11-23 11:00", 2 * time.Hour, "2026-11-23 14:00"},
		{"holiday skipped", berlin, "mon-fri 09:00-17:00", []string{"2026-12-25"}, "2026-12-24 16:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"two holidays", berlin, "mon-fri 09:00-17:00", []string{"2026-12-24", "2026-12-25"}, "2026-12-23 16:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"a week of days", berlin, "mon-fri 09:00-17:00", nil, "2026-11-23 09:00", 40 * time.Hour, "2026-11-27 17:00"},
		// 29 March 2026: clocks go from 02:00 to 03:00, the day has 23 hours.
		{"spring forward", berlin, "sun 00:00-24:00", nil, "2026-03-29 00:00", 23 * time.Hour, "2026-03-30 00:00"},
		{"spring forward, morning hours", berlin, "mon-sun 09:00-17:00", nil, "2026-03-28 16:00", 2 * time.Hour, "2026-03-29 10:00"},
		// 25 October 2026: 03:00 goes back to 02:00, the day has 25 hours.
		{"fall back", berlin, "sun 00:00-24:00", nil, "2026-10-25 00:00", 24 * time.Hour, "2026-10-25 23:00"},
		{"New York", "America/New_York", "mon-fri 09:00-17:00", nil, "2026-11-20 16:30", time.Hour, "2026-11-23 09:30"},
	}
	for _, tt := range tests {
		c := mustClock(t, tt.zone, tt.hours, tt.holidays...)
		start := at(t, tt.zone, tt.start)
		got := c.Due(start, tt.target)
		if want := at(t, tt.zone, tt.want); !got.Equal(want) {
			t.Errorf("%s: Due(%s, %s) = %s, want %s", tt.name, start, tt.target, got, want)
		}
		if e := c.Elapsed(start, got); e != tt.target {
			t.Errorf("%s: Elapsed(%s, %s) = %s, want %s", tt.name, start, got, e, tt.target)
		}
	}
}

// TestDueAroundTheClock: without business hours a target is a plain
// duration.
func TestDueAroundTheClock(t *testing.T) {
	c, err := Policy{}.Clock()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	if got := c.Due(start, 36*time.Hour); !got.Equal(start.Add(36 * time.Hour)) {
		t.Errorf("Due = %s", got)
	}
	if got := c.Elapsed(start, start.Add(-time.Hour)); got != 0 {
		t.Errorf("Elapsed backwards = %s, want 0", got)
	}
}

func TestElapsed(t *testing.T) {
	const zone = "Europe/Berlin"
	c := mustClock(t, zone, "mon-fri 09:00-17:00", "2026-12-25")
	tests := []struct {
		from, to string
		want     time.Duration
	}{
		{"2026-11-23 10:00", "2026-11-23 11:30", 90 * time.Minute},
		{"2026-11-27 16:00", "2026-11-30 10:00", 2 * time.Hour}, // a weekend between
		{"2026-11-28 10:00", "2026-11-29 10:00", 0},             // all weekend
		{"2026-12-24 08:00", "2026-12-28 08:00", 8 * time.Hour}, // a holiday and a weekend
		{"2026-11-23 18:00", "2026-11-23 20:00", 0},
	}
	for _, tt := range tests {
		if got := c.Elapsed(at(t, zone, tt.from), at(t, zone, tt.to)); got != tt.want {
			t.Errorf("Elapsed(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"mon-fri 09:00-17:00", "mon-fri 09:00-17:00", ""},
		{"Mon-Fri 09:00-12:00,13:00-17:00; sat 10:00-14:00", "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00", ""},
		{"mon,wed,friday 08:00-16:00", "mon 08:00-16:00; wed 08:00-16:00; fri 08:00-16:00", ""},
		{"fri-mon 00:00-24:00", "mon 00:00-24:00; fri-sun 00:00-24:00", ""},
		{"mon 22:00-06:00", "", "same day"},
		{"mon 09:00-17:00,12:00-13:00", "", "overlap"},
		{"", "", "without any open time"},
		{"someday 09:00-17:00", "", "not a day"},
		{"mon 9-17", "", "not a time of day"},
		{"mon 09:00-24:30", "", "not a time of day"},
		{"mon-fri", "", "want days and times"},
	}
	for _, tt := range tests {
		w, err := ParseHours(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseHours(%q) error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseHours(%q): %v", tt.in, err)
		case tt.err == "" && w.String() != tt.want:
			t.Errorf("ParseHours(%q) = %q, want %q", tt.in, w.String(), tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"4h", 4 * time.Hour, "4h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"2d", 48 * time.Hour, "2d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"1w", 7 * 24 * time.Hour, "7d"},
		{"3s", 3 * time.Second, "3s"},
		{"10S", 10 * time.Second, "10s"}, // found by FuzzParseDuration: "10s" was shown as "1"
		{"1h20m", 80 * time.Minute, "1h20m"},
		{"2h0m10s", 2*time.Hour + 10*time.Second, "2h0m10s"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
		if s := FormatDuration(got); s != tt.text {
			t.Errorf("FormatDuration(%s) = %q, want %q", got, s, tt.text)
		}
	}
	for _, bad := range []string{"", "soon", "2x", "d", "-1h", "99999d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q): no error", bad)
		}
	}
}

// TestPolicyValidate: a policy is checked whole, every problem named.
func TestPolicyValidate(t *testing.T) {
	week, _ := ParseHours("mon 09:00-09:01")
	p := Policy{
		Targets: map[ticket.Priority]Targets{
			"someday":              {FirstResponse: Duration(time.Hour)},
			ticket.PriorityHigh:    {FirstResponse: Duration(400 * 24 * time.Hour)},
			ticket.PriorityHighest: {Resolution: Duration(300 * 24 * time.Hour)},
		},
		WarnShare: 1.5,
		Hours:     &Hours{Zone: "Europe/Berlin", Week: week},
	}
	err := p.Validate()
	for _, want := range []string{`unknown priority "someday"`, "not between 0 and 366 days", "warn share 1.5", "open too little"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	for _, h := range []*Hours{{Zone: "Mars/Olympus", Week: week}, {Zone: "", Week: week}, {Zone: "UTC"}, {Zone: "UTC", Week: week, Holidays: []string{"25.12.2026"}}} {
		if err := (Policy{Hours: h}).Validate(); err == nil {
			t.Errorf("hours %+v: no error", h)
		}
	}
}

// TestPolicyJSON: a policy is stored and shown as JSON and reads back the
// same.
func TestPolicyJSON(t *testing.T) {
	week, _ := ParseHours("mon-fri 09:00-17:00")
	p := Policy{Targets: map[ticket.Priority]Targets{ticket.PriorityHigh: {FirstResponse: Duration(time.Hour), Resolution: Duration(48 * time.Hour)}},
		WarnShare: 0.75, Hours: &Hours{Zone: "Europe/Berlin", Week: week, Holidays: []string{"2026-12-25"}}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"first_response":"1h"`) || !strings.Contains(string(b), `"mon":["09:00-17:00"]`) {
		t.Errorf("JSON %s", b)
	}
	var q Policy
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if q.Hours.Week.String() != week.String() || q.Targets[ticket.PriorityHigh] != p.Targets[ticket.PriorityHigh] || q.WarnShare != 0.75 {
		t.Errorf("round trip: %+v", q)
	}
}
