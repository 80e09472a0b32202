package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
)

// TestFollowMergesStopsOnLoops: threading follows a chain of merged
// tickets to its end, and a loop of merges (which the desk never makes)
// ends the walk at a ticket instead of running forever or failing
// delivery.
func TestFollowMergesStopsOnLoops(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, subject := range []string{"one", "two", "three"} {
		f.deliver(t, []byte("From: a@c.test\r\nTo: support@acme.test\r\nSubject: "+subject+"\r\nMessage-ID: <l"+string(rune('0'+i))+"@c.test>\r\n\r\nx\r\n"), "support@acme.test")
	}
	prop, err := f.st.Property(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]int64{}
	for n := int64(1); n <= 3; n++ {
		tk, err := f.st.Ticket(ctx, "acme", n)
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = tk.ID
	}
	merge := func(s, t2 int64) {
		if err := f.st.Update(ctx, func(tx *store.Tx) error { return tx.MergeTicket(ids[s], ids[t2]) }); err != nil {
			t.Fatal(err)
		}
	}
	merge(1, 2)
	merge(2, 3)
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		lk := &followMerges{Tx: tx}
		got, ok, err := lk.TicketByNumber(prop.ID, 1)
		if err != nil || !ok || got.Number != 3 || lk.via[got.ID] != "#1 merged into #2, #2 merged into #3" {
			t.Errorf("#1 followed to #%d (%v, %v), via %q; want #3 through #2", got.Number, ok, err, lk.via[got.ID])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	merge(3, 1) // a loop: 1 → 2 → 3 → 1
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		lk := &followMerges{Tx: tx}
		got, ok, err := lk.TicketByID(prop.ID, ids[1])
		if err != nil || !ok || !strings.Contains(lk.via[got.ID], "a loop") {
			t.Errorf("a loop of merges: #%d (%v, %v) via %q; want a ticket and the loop named", got.Number, ok, err, lk.via[got.ID])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
