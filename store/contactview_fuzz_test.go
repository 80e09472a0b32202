package store

import (
	"errors"
	"testing"
)

// FuzzTimelineCursor: a cursor either reads as a place that writes back
// as the same cursor, or is refused as ErrBadCursor; nothing panics.
func FuzzTimelineCursor(f *testing.F) {
	for _, seed := range []string{"1763740000000.2.15", "0.0.0", "x", "1.2", "1.2.3.4", "-1.-2.-3", "..", "9999999999999999999.1.1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := ParseTimelineCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("ParseTimelineCursor(%q) = %v, want ErrBadCursor", s, err)
			}
			return
		}
		again, err := ParseTimelineCursor(TimelineCursor(pos))
		if err != nil || again != pos {
			t.Fatalf("ParseTimelineCursor(%q) = %+v, written %q reads %+v, %v", s, pos, TimelineCursor(pos), again, err)
		}
	})
}
