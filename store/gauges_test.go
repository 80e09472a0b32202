package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestReadGauges: each gauge counts what it names, and a failed row, a
// deferred row and a resolved held mail are told apart.
func TestReadGauges(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p := addProperties(t, st, "p")[0]
	now := time.Now()
	rows := make([]*OutboxRow, 4)
	err := st.Update(ctx, func(tx *Tx) error {
		for i := range rows {
			rows[i] = &OutboxRow{PropertyID: p.ID, Kind: ticket.OutAck, Rcpt: "c@y.test", RcptKind: "contact", MsgID: "m" + string(rune('a'+i)) + "@x.test"}
			if err := tx.Enqueue(rows[i]); err != nil {
				return err
			}
		}
		for range 3 {
			if err := tx.Hold(p.ID, "why", "s@y.test", "held", "sha"); err != nil {
				return err
			}
		}
		if _, err := tx.Suppress(ticket.Suppression{PropertyID: p.ID, Address: "gone@y.test", Reason: "5.1.1"}); err != nil {
			return err
		}
		return tx.FailOutbox(rows[3].ID, "550 no")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRetry(ctx, rows[2].ID, "", now.Add(time.Hour), "421 later"); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSent(ctx, rows[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.ResolveHeld(p.ID, 1, ticket.HeldDiscarded, "admin@x.test") }); err != nil {
		t.Fatal(err)
	}
	later := now.Add(90 * time.Second)
	g, err := st.ReadGauges(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	want := Gauges{OutboxDue: 1, OutboxDeferred: 1, OutboxFailed: 1, HeldWaiting: 2, Suppressions: 1}
	got := g
	got.OldestQueued = 0
	if got != want {
		t.Errorf("ReadGauges = %+v, want %+v", got, want)
	}
	if g.OldestQueued < 89*time.Second || g.OldestQueued > 92*time.Second {
		t.Errorf("oldest queued row is %v old, want about 90s", g.OldestQueued)
	}
}

// TestGaugesUseIndexes: the gauges read ranges of indexes, never a whole
// table, so that a scrape costs the same after years of mail: the held
// mail counted is the partial index of what waits, and the count of
// suppressions is the one whole count, over its smallest index.
func TestGaugesUseIndexes(t *testing.T) {
	st := openTest(t)
	plan := queryPlan(t, st, "gauges", gaugesQuery, 0)
	for _, step := range tableScans(plan) {
		whole := step != "SCAN held USING COVERING INDEX held_waiting" &&
			!strings.HasPrefix(step, "SCAN suppressions USING COVERING INDEX")
		if whole {
			t.Errorf("the gauges scan a table: %s\n%s", step, strings.Join(plan, "\n"))
		}
	}
}
