package store

import (
	"context"
	"errors"
	"testing"
)

// TestTimelineCursorRankOutOfRange: a contact page's cursor whose rank is
// none of the timeline's (0 to 2) is refused as ErrBadCursor, a 400, on
// both backends; on PostgreSQL one past int4 failed to be sent as the
// query's argument (a 500), and on SQLite one of 3 or more was taken.
func TestTimelineCursorRankOutOfRange(t *testing.T) {
	f := newDeskFixture(t)
	f.open("ann@c.test", "a1@c.test")
	ctx := context.Background()
	for _, cursor := range []string{"1.99999999999.1", "1.2147483648.1", "1.-2147483649.1", "1.3.1", "1.-1.1"} {
		if _, err := f.st.ContactPage(ctx, f.prop.ID, "ann@c.test", cursor, 10); !errors.Is(err, ErrBadCursor) {
			t.Errorf("ContactPage(cursor %q) = %v, want ErrBadCursor", cursor, err)
		}
	}
	for _, cursor := range []string{"9223372036854775807.2.9223372036854775807", "-9223372036854775808.0.1"} {
		if _, err := f.st.ContactPage(ctx, f.prop.ID, "ann@c.test", cursor, 10); err != nil {
			t.Errorf("ContactPage(cursor %q) = %v, want a page", cursor, err)
		}
	}
}
