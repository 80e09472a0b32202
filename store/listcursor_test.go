package store

import (
	"context"
	"errors"
	"testing"
)

// TestListCursorRankOutOfRange: a priority list's cursor whose rank is
// none of rankKey's (0 to 5) is refused as ErrBadFilter, a 400, on both
// backends; on PostgreSQL one past int4 failed to be sent as the rank
// compared with it (a 500), and on SQLite it was taken.
func TestListCursorRankOutOfRange(t *testing.T) {
	f := newDeskFixture(t)
	tk, _ := f.open("ann@c.test", "a1@c.test")
	ctx := context.Background()
	for _, keys := range [][]int64{{99999999999, 1}, {1 << 31, 1}, {-1<<31 - 1, 1}, {6, 1}, {-1, 1}} {
		cursor := encodeCursor(SortPriority, keys)
		_, err := f.st.ListTickets(ctx, TicketFilter{PropertyID: f.prop.ID, Sort: SortPriority, After: cursor})
		if !errors.Is(err, ErrBadFilter) {
			t.Errorf("ListTickets(by priority after %v) = %v, want ErrBadFilter", keys, err)
		}
	}
	page, err := f.st.ListTickets(ctx, TicketFilter{PropertyID: f.prop.ID, Sort: SortPriority,
		After: encodeCursor(SortPriority, []int64{maxRank, tk.ID + 1})})
	if err != nil || len(page.Tickets) != 1 {
		t.Errorf("ListTickets(by priority after the top rank) = %d tickets, %v; want 1", len(page.Tickets), err)
	}
}
