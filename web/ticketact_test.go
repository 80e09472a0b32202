package web

import (
	"testing"
	"time"
)

// TestSnoozeUntil: the presets fall where a member expects them in the
// property's zone, and a date-time is read in that zone.
func TestSnoozeUntil(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	wed := time.Date(2026, 11, 18, 22, 30, 0, 0, time.UTC) // Wednesday 23:30 in Berlin
	sun := time.Date(2026, 11, 22, 10, 0, 0, 0, berlin)
	mon := time.Date(2026, 11, 23, 8, 0, 0, 0, berlin)
	for _, c := range []struct {
		now           time.Time
		preset, until string
		want          time.Time
	}{
		{wed, "1h", "", wed.Add(time.Hour)},
		{wed, "tomorrow", "", time.Date(2026, 11, 19, 9, 0, 0, 0, berlin)},
		{wed, "monday", "", time.Date(2026, 11, 23, 9, 0, 0, 0, berlin)},
		{sun, "monday", "", time.Date(2026, 11, 23, 9, 0, 0, 0, berlin)},
		{mon, "monday", "", time.Date(2026, 11, 30, 9, 0, 0, 0, berlin)}, // next Monday, not today
		{wed, "until", "2026-12-01T14:15", time.Date(2026, 12, 1, 14, 15, 0, 0, berlin)},
		{wed, "", "2026-12-01T14:15", time.Date(2026, 12, 1, 14, 15, 0, 0, berlin)},
	} {
		got, err := snoozeUntil(c.now, berlin, c.preset, c.until)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("snoozeUntil(%v, %q, %q) = %v, %v; want %v", c.now, c.preset, c.until, got, err, c.want)
		}
	}
	for _, bad := range [][2]string{{"someday", ""}, {"until", ""}, {"until", "tomorrow"}, {"", "2026-13-01T10:00"}} {
		if got, err := snoozeUntil(wed, berlin, bad[0], bad[1]); err == nil {
			t.Errorf("snoozeUntil(%q, %q) = %v, want refused", bad[0], bad[1], got)
		}
	}
}

// TestAssignStep: the assign form names a member, a department or nobody.
func TestAssignStep(t *testing.T) {
	for _, c := range []struct {
		to string
		ok bool
	}{
		{"member:bob@acme.test", true}, {"department:Billing", true}, {"none", true},
		{"", false}, {"member:", false}, {"bob@acme.test", false}, {"team:x", false},
	} {
		if _, err := assignStep(c.to, ""); (err == nil) != c.ok {
			t.Errorf("assignStep(%q): %v, want ok %v", c.to, err, c.ok)
		}
	}
}
