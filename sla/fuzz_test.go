package sla

import (
	"testing"
	"time"
)

// FuzzDue checks, for any schedule, zone, start and target, that a target
// falls due no earlier than it starts, that exactly the target's time is
// counted up to its due time, and that a longer target is not due sooner.
func FuzzDue(f *testing.F) {
	f.Add("mon-fri 09:00-17:00", 0, int64(1795000000), int64(4*time.Hour), int64(time.Hour), "2026-12-25")
	f.Add("sun 00:00-24:00", 1, int64(1774738800), int64(23*time.Hour), int64(0), "")
	f.Add("mon,wed 01:30-02:30,02:45-03:15", 2, int64(1792886400), int64(90*time.Minute), int64(time.Minute), "2026-11-02")
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"}
	f.Fuzz(func(t *testing.T, hours string, zone int, start, target, more int64, holiday string) {
		w, err := ParseHours(hours)
		if err != nil {
			return
		}
		if zone < 0 {
			zone = -zone
		}
		h := &Hours{Zone: zones[zone%len(zones)], Week: w}
		if _, err := time.Parse(time.DateOnly, holiday); err == nil {
			h.Holidays = []string{holiday}
		}
		c, err := Policy{Hours: h}.Clock()
		if err != nil {
			return
		}
		s := time.Unix(start%(4e9), 0)
		d := time.Duration(target % int64(30*24*time.Hour))
		if d < 0 {
			d = -d
		}
		due, ok := c.due(s, d)
		if !ok {
			return
		}
		if due.Before(s) {
			t.Fatalf("Due(%s, %s) = %s, before the start", s, d, due)
		}
		if got := c.Elapsed(s, due); got != d {
			t.Fatalf("%s in %s: Elapsed(%s, Due(%s) = %s) = %s", hours, h.Zone, s, d, due, got)
		}
		extra := time.Duration(more % int64(24*time.Hour))
		if extra < 0 {
			extra = -extra
		}
		if later, ok := c.due(s, d+extra); ok && later.Before(due) {
			t.Fatalf("Due(%s) = %s before Due(%s) = %s", d+extra, later, d, due)
		}
	})
}

// FuzzParseHours: any text either fails to parse or reads back the same
// from its own String.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-17:00", "sat 10:00-14:00; sun 00:00-24:00", "fri-mon 08:00-12:00,13:00-18:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseHours(s)
		if err != nil {
			return
		}
		again, err := ParseHours(w.String())
		if err != nil || again.String() != w.String() {
			t.Fatalf("ParseHours(%q).String() = %q reads back as %q, %v", s, w.String(), again.String(), err)
		}
	})
}

// FuzzParseDuration: any text either fails or reads back the same from
// FormatDuration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"4h", "1d12h", "1w2d", "90m", "3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %s; FormatDuration %q reads back as %s, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
