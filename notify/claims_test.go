package notify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestRestartSendsOwnClaimsAtOnce: a gateway killed with rows claimed
// leaves them to no other gateway until their lease runs out; restarted
// under the same instance id, it releases its claims and sends them at
// once.
func TestRestartSendsOwnClaimsAtOnce(t *testing.T) {
	f := newFixture(t)
	relay := smtptest.Start(t)
	ctx := context.Background()
	claimed, err := f.st.ClaimOutbox(ctx, "gw-a", f.clock.now(), DefaultLease, 10) // then gw-a is killed
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimOutbox = %v, %v; want the ack", claimed, err)
	}
	start := time.Now()
	f.runWith(t, relay, Options{InstanceID: "gw-b"}, func() bool { return time.Since(start) > 300*time.Millisecond })
	if n := relay.Count(); n != 0 {
		t.Fatalf("gw-b sent %d mails of gw-a's claimed rows within their lease, want 0", n)
	}
	f.runWith(t, relay, Options{InstanceID: "gw-a"}, func() bool { return f.rows(t)[0].Status == ticket.OutSent })
	if got := relay.To("carol@example.com"); len(got) != 1 {
		t.Fatalf("carol received %d mails, want 1", len(got))
	}
}

// TestAttemptCutOffAtLease: an attempt still running when its lease is
// about to run out is cut off and retried later, so that no other gateway,
// taking the row once the lease has run out, sends it at the same time.
func TestAttemptCutOffAtLease(t *testing.T) {
	f := newFixture(t)
	relay := smtptest.Start(t)
	release := make(chan struct{})
	defer close(release)
	relay.Stall(release)
	start := time.Now()
	f.runWith(t, relay, Options{InstanceID: "gw-a", Lease: 2 * time.Second}, func() bool { return f.rows(t)[0].Attempts == 1 })
	took := time.Since(start)
	row := f.rows(t)[0]
	if row.Status != ticket.OutQueued || !strings.Contains(row.LastError, "deadline") || took > 2*time.Second {
		t.Fatalf("after a stalled attempt under a 2s lease: row %s (%q) after %v; want queued, cut off within the lease",
			row.Status, row.LastError, took)
	}
}

// TestStalledRowsBehindNotCharged: the rows claimed together share their
// claim's lease; when the relay stalls on the first, the attempt is cut
// off near the lease's end and the rows behind it, whose turn comes too
// late, are released untouched (no attempt counted, no backoff) to be
// claimed afresh, not charged an attempt they never made.
func TestStalledRowsBehindNotCharged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		for i := range 3 {
			r := &store.OutboxRow{PropertyID: f.prop.ID, Kind: ticket.OutNotice, Rcpt: "alice@acme.test", RcptKind: "member",
				RcptID: 1, MsgID: fmt.Sprintf("n%d@acme.test", i), Subject: "Notice", Body: "Body", Topic: "t"}
			if err := tx.Enqueue(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	relay := smtptest.Start(t)
	release := make(chan struct{})
	defer close(release)
	relay.Stall(release)
	var firstCut time.Time
	var seen []store.OutboxRow
	f.runWith(t, relay, Options{InstanceID: "gw-a", Lease: 2 * time.Second, Workers: 1}, func() bool {
		seen = f.rows(t)
		charged := 0
		for _, r := range seen {
			if r.Attempts > 0 {
				charged++
			}
		}
		if charged > 0 && firstCut.IsZero() {
			firstCut = time.Now()
		}
		// The next row's own attempt, with a fresh lease, is cut off
		// 1.5s after it starts; look well before that.
		return !firstCut.IsZero() && time.Since(firstCut) > 500*time.Millisecond
	})
	charged := 0
	for _, r := range seen {
		if r.Attempts > 0 {
			charged++
		} else if r.Status != ticket.OutQueued || r.LastError != "" {
			t.Errorf("row %d: %s (%q) with no attempt, want queued, untouched", r.ID, r.Status, r.LastError)
		}
	}
	if charged != 1 || relay.Attempts() < 1 {
		t.Errorf("half a second after the stalled attempt was cut off, %d of %d rows were charged an attempt (the relay saw %d); want 1",
			charged, len(seen), relay.Attempts())
	}
}
