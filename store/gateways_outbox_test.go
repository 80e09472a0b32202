package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// openTwo opens two Stores on one fresh database, as two gateways do.
func openTwo(t *testing.T) (*Store, *Store) {
	t.Helper()
	opts := testOptions(t)
	var sts [2]*Store
	for i := range sts {
		st, err := Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sts[i] = st
	}
	return sts[0], sts[1]
}

// enqueueNotices queues n notices to distinct addresses of a new property.
func enqueueNotices(t *testing.T, st *Store, n int) ticket.Property {
	t.Helper()
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		for i := range n {
			r := &OutboxRow{PropertyID: p.ID, Kind: ticket.OutNotice, Rcpt: fmt.Sprintf("m%d@x.test", i), RcptKind: "member",
				RcptID: int64(i + 1), MsgID: fmt.Sprintf("n%d@x.test", i), Subject: "s", Body: "b"}
			if err := tx.Enqueue(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClaimOutboxTwoGateways: two gateways on one database claim the same
// due rows at the same moment, many times over; no row is claimed by both,
// and every row is claimed.
func TestClaimOutboxTwoGateways(t *testing.T) {
	a, b := openTwo(t)
	const rows = 300
	enqueueNotices(t, a, rows)
	ctx := context.Background()
	now := time.Now().Add(time.Second)
	var mu sync.Mutex
	owner := map[int64]string{}
	var wg sync.WaitGroup
	for g, st := range map[string]*Store{"gw-a": a, "gw-b": b} {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := st.ClaimOutbox(ctx, g, now, time.Minute, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						if prev, ok := owner[r.ID]; ok {
							t.Errorf("row %d claimed by %s and by %s", r.ID, prev, g)
						}
						owner[r.ID] = g
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(owner) != rows {
		t.Errorf("%d rows claimed, want %d", len(owner), rows)
	}
	per := map[string]int{}
	for _, g := range owner {
		per[g]++
	}
	t.Logf("claims: %v", per)
}

// TestClaimOutboxLease: a claimed row is no one else's until its lease
// runs out, then anyone's; releasing a gateway's claims makes its rows due
// at once; sending or retrying a row clears its claim.
func TestClaimOutboxLease(t *testing.T) {
	st := openTest(t)
	enqueueNotices(t, st, 3)
	ctx := context.Background()
	now := time.Now().Add(time.Second)
	claim := func(by string, at time.Time) []OutboxRow {
		t.Helper()
		got, err := st.ClaimOutbox(ctx, by, at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := claim("gw-a", now); len(got) != 3 {
		t.Fatalf("gw-a claimed %d rows, want 3", len(got))
	}
	if got := claim("gw-b", now.Add(59*time.Second)); len(got) != 0 {
		t.Fatalf("gw-b claimed %d rows within gw-a's lease, want 0", len(got))
	}
	got := claim("gw-b", now.Add(61*time.Second))
	if len(got) != 3 {
		t.Fatalf("gw-b claimed %d rows after gw-a's lease, want 3", len(got))
	}
	if err := st.MarkSent(ctx, got[0].ID, "gw-b"); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRetry(ctx, got[1].ID, "gw-b", now, "421 later"); err != nil {
		t.Fatal(err)
	}
	if again := claim("gw-a", now.Add(62*time.Second)); len(again) != 1 || again[0].ID != got[1].ID {
		t.Fatalf("after MarkRetry, gw-a claimed %v, want the retried row %d", again, got[1].ID)
	}
	n, err := st.ReleaseOutboxClaims(ctx, "gw-b")
	if err != nil || n != 1 {
		t.Fatalf("ReleaseOutboxClaims(gw-b) = %d, %v; want 1 (the sent and retried rows hold no claim)", n, err)
	}
	if again := claim("gw-c", now.Add(62*time.Second)); len(again) != 1 || again[0].ID != got[2].ID {
		t.Fatalf("after gw-b's release, gw-c claimed %v, want its row %d", again, got[2].ID)
	}
}

// TestLateGatewayChangesNothing: gateway A claims a row, its lease runs
// out (a paused process), gateway B claims the row; A's late MarkSent,
// MarkRetry and FailClaimedOutbox change nothing (B's claim stays) and say
// so with ErrNotClaimed; B's MarkSent records the row sent.
func TestLateGatewayChangesNothing(t *testing.T) {
	st := openTest(t)
	p := enqueueNotices(t, st, 1)
	ctx := context.Background()
	now := time.Now().Add(time.Second)
	if got, err := st.ClaimOutbox(ctx, "gw-a", now, time.Minute, 10); err != nil || len(got) != 1 {
		t.Fatalf("gw-a: ClaimOutbox = %v, %v; want the row", got, err)
	}
	got, err := st.ClaimOutbox(ctx, "gw-b", now.Add(61*time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("gw-b after gw-a's lease: ClaimOutbox = %v, %v; want the row", got, err)
	}
	id := got[0].ID
	late := map[string]func() error{
		"MarkSent":  func() error { return st.MarkSent(ctx, id, "gw-a") },
		"MarkRetry": func() error { return st.MarkRetry(ctx, id, "gw-a", now.Add(time.Hour), "421 later") },
		"FailClaimedOutbox": func() error {
			return st.Update(ctx, func(tx *Tx) error { return tx.FailClaimedOutbox(id, "gw-a", "550 no") })
		},
	}
	for name, call := range late {
		if err := call(); !errors.Is(err, ErrNotClaimed) {
			t.Errorf("gw-a's late %s = %v, want ErrNotClaimed", name, err)
		}
	}
	var row OutboxRow
	var claimedBy string
	read := func() {
		t.Helper()
		err := st.Update(ctx, func(tx *Tx) error {
			var err error
			if row, _, err = tx.OutboxRow(p.ID, id); err != nil {
				return err
			}
			return tx.queryRow(`SELECT claimed_by FROM outbox WHERE id = ?`, id).Scan(&claimedBy)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read()
	if row.Status != ticket.OutQueued || row.Attempts != 0 || row.LastError != "" || claimedBy != "gw-b" {
		t.Fatalf("after gw-a's late calls: row %s, %d attempts, %q, claimed by %q; want queued, untouched, gw-b's",
			row.Status, row.Attempts, row.LastError, claimedBy)
	}
	if err := st.MarkSent(ctx, id, "gw-b"); err != nil {
		t.Fatalf("gw-b's MarkSent: %v", err)
	}
	read()
	if row.Status != ticket.OutSent || row.Attempts != 1 || claimedBy != "" {
		t.Fatalf("after gw-b's MarkSent: row %s, %d attempts, claimed by %q; want sent, 1 attempt, no claim", row.Status, row.Attempts, claimedBy)
	}
}
