package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestBounceBeforeMarkSent: the worker takes a row, a verified bounce for it
// arrives and fails it before the worker records the hand-over, and then
// the worker's late MarkSent or MarkRetry comes. The bounce stands: the row
// stays failed with the bounce's reason, and the late call says why it
// changed nothing. The steps run in that order, one after the other, as the
// two goroutines would interleave them.
func TestBounceBeforeMarkSent(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	late := []struct {
		name string
		call func(id int64) error
	}{
		{"MarkSent", func(id int64) error { return st.MarkSent(ctx, id, "gw") }},
		{"MarkRetry", func(id int64) error {
			return st.MarkRetry(ctx, id, "gw", time.Now().Add(time.Minute), "421 try later")
		}},
	}
	for _, tt := range late {
		row := &OutboxRow{PropertyID: p.ID, Kind: ticket.OutAck, Rcpt: "gone@y.test", RcptKind: "contact", MsgID: "m-" + tt.name + "@x.test"}
		if err := st.Update(ctx, func(tx *Tx) error { return tx.Enqueue(row) }); err != nil {
			t.Fatal(err)
		}
		due, err := st.ClaimOutbox(ctx, "gw", time.Now().Add(time.Second), time.Minute, 10) // the worker takes it
		if err != nil || len(due) != 1 || due[0].ID != row.ID {
			t.Fatalf("%s: ClaimOutbox = %v, %v; want row %d", tt.name, due, err, row.ID)
		}
		const reason = "bounced: gone@y.test: dsn failed 5.1.1"
		if err := st.Update(ctx, func(tx *Tx) error { return tx.FailOutbox(row.ID, reason) }); err != nil {
			t.Fatal(err) // the bounce fails it
		}
		if err := tt.call(row.ID); !errors.Is(err, ErrNotQueued) {
			t.Errorf("%s after the bounce = %v, want ErrNotQueued", tt.name, err)
		}
		var got OutboxRow
		err = st.Update(ctx, func(tx *Tx) error {
			var err error
			got, _, err = tx.OutboxRow(p.ID, row.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != ticket.OutFailed || got.LastError != reason || !got.SentAt.IsZero() {
			t.Errorf("%s after the bounce: row is %s (%q, sent %v), want %s (%q, never sent)",
				tt.name, got.Status, got.LastError, got.SentAt, ticket.OutFailed, reason)
		}
	}
}

// TestMarkSentQueued: the ordinary path still works: a queued row is marked
// sent, once; a second MarkSent changes nothing and says so.
func TestMarkSentQueued(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	row := &OutboxRow{PropertyID: p.ID, Kind: ticket.OutAck, Rcpt: "a@y.test", RcptKind: "contact", MsgID: "m@x.test"}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Enqueue(row) }); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRetry(ctx, row.ID, "", time.Now(), "421 busy"); err != nil {
		t.Fatalf("MarkRetry of a queued row: %v", err)
	}
	if err := st.MarkSent(ctx, row.ID, ""); err != nil {
		t.Fatalf("MarkSent of a queued row: %v", err)
	}
	if err := st.MarkSent(ctx, row.ID, ""); !errors.Is(err, ErrNotQueued) {
		t.Errorf("second MarkSent = %v, want ErrNotQueued", err)
	}
	sent, err := st.Outbox(ctx, p.ID, ticket.OutSent)
	if err != nil || len(sent) != 1 || sent[0].Attempts != 2 || sent[0].LastError != "" {
		t.Errorf("sent rows = %+v, %v; want the one row, 2 attempts, no error", sent, err)
	}
}
