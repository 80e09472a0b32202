package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// twoGateways opens two Stores on one fresh PostgreSQL database, as two
// gateways sharing it do. On SQLite, one gateway owns its file: the test
// is skipped.
func twoGateways(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	if !store.OnPostgres() {
		t.Skip("several gateways share a database on PostgreSQL only")
	}
	opts := store.FreshOptions(t)
	var sts [2]*store.Store
	for i := range sts {
		st, err := store.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sts[i] = st
	}
	return sts[0], sts[1]
}

// TestTwoWorkersSendEachRowOnce: two gateways' outbound workers deliver
// one outbox to one relay; every row is delivered exactly once.
func TestTwoWorkersSendEachRowOnce(t *testing.T) {
	a, b := twoGateways(t)
	ctx := context.Background()
	p, err := a.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromName: "Acme", FromAddress: "support@acme.test", TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	const rows = 200
	err = a.Update(ctx, func(tx *store.Tx) error {
		for i := range rows {
			r := &store.OutboxRow{PropertyID: p.ID, Kind: ticket.OutNotice, Rcpt: fmt.Sprintf("m%d@acme.test", i),
				RcptKind: "member", RcptID: int64(i + 1), MsgID: fmt.Sprintf("n%d@acme.test", i), Subject: "s", Body: "b"}
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
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("gateways test key 0123")})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for i, st := range []*store.Store{a, b} {
		tr, err := notify.ParseRelay(relay.URL(), "test.local")
		if err != nil {
			t.Fatal(err)
		}
		w := notify.New(notify.Options{Store: st, Keys: keys, Transport: tr, InstanceID: fmt.Sprintf("gw-%d", i),
			Workers: 4, Poll: 5 * time.Millisecond})
		go func() { w.Run(runCtx); done <- struct{}{} }()
	}
	deadline := time.Now().Add(30 * time.Second)
	for sent(t, a, p.ID) < rows && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a second sending would be under way by now
	stop()
	<-done
	<-done
	if n := sent(t, a, p.ID); n != rows {
		t.Fatalf("%d rows sent, want %d", n, rows)
	}
	for i := range rows {
		if got := relay.To(fmt.Sprintf("m%d@acme.test", i)); len(got) != 1 {
			t.Errorf("m%d@acme.test received %d mails, want 1", i, len(got))
		}
	}
	if n := relay.Count(); n != rows {
		t.Errorf("the relay received %d mails, want %d", n, rows)
	}
}

// sent counts the property's sent outbox rows.
func sent(t *testing.T, st *store.Store, propertyID int64) int {
	t.Helper()
	rows, err := st.Outbox(context.Background(), propertyID, ticket.OutSent)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// TestWorkerTakesBackItsClaims: rows claimed under a running worker's name
// that it is not sending (a claim that committed while the worker saw an
// error, as when the connection broke at the commit) are taken back once
// a database error has passed, and sent; not only after their lease.
func TestWorkerTakesBackItsClaims(t *testing.T) {
	if !store.OnPostgres() {
		t.Skip("several gateways share a database on PostgreSQL only")
	}
	ctx := context.Background()
	opts := store.FreshOptions(t)
	b, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opts.BusyTimeout = 300 * time.Millisecond // the worker's lock timeout
	a, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p, err := a.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromName: "Acme", FromAddress: "support@acme.test", TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	relay := smtptest.Start(t)
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("gateways test key 0123")})
	tr, err := notify.ParseRelay(relay.URL(), "test.local")
	if err != nil {
		t.Fatal(err)
	}
	// The worker polls once an hour: it claims at start and when kicked.
	w := notify.New(notify.Options{Store: a, Keys: keys, Transport: tr, InstanceID: "gw", Workers: 2, Poll: time.Hour})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	time.Sleep(200 * time.Millisecond) // its start: claims released, nothing due

	const rows = 3
	err = b.Update(ctx, func(tx *store.Tx) error {
		for i := range rows {
			r := &store.OutboxRow{PropertyID: p.ID, Kind: ticket.OutNotice, Rcpt: fmt.Sprintf("m%d@acme.test", i),
				RcptKind: "member", RcptID: int64(i + 1), MsgID: fmt.Sprintf("n%d@acme.test", i), Subject: "s", Body: "b"}
			if err := tx.Enqueue(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.ClaimOutbox(ctx, "gw", time.Now(), time.Hour, rows); err != nil || len(got) != rows {
		t.Fatalf("claim as gw: %d rows, %v", len(got), err)
	}
	// The worker's next claim meets a lock held past its lock timeout.
	err = b.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ExecForTest(`LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		w.Kick()
		time.Sleep(time.Second) // past the worker's lock timeout
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for sent(t, b, p.ID) < rows && time.Now().Before(deadline) {
		w.Kick()
		time.Sleep(50 * time.Millisecond)
	}
	if n := sent(t, b, p.ID); n != rows {
		t.Fatalf("%d of the %d rows claimed under the worker's name sent after a database error passed, want all", n, rows)
	}
	if n := relay.Count(); n != rows {
		t.Errorf("the relay received %d mails, want %d", n, rows)
	}
}
