package hook

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// TestIdleSenderTakesNoWriter: on a property without webhooks, the sender
// woken by every commit that wrote events, and by its poll, takes no turn
// of the store's single writer: intake is not followed by an empty
// transaction, and an idle gateway does not write once a poll.
func TestIdleSenderTakesNoWriter(t *testing.T) {
	ctx := context.Background()
	var jobs atomic.Int64
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "t.db"),
		OnBatch: func(n int, _ time.Duration) { jobs.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Options{Store: st, Keys: keys})
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}})
	if err != nil {
		t.Fatal(err)
	}
	var zoe ticket.Contact
	err = st.Update(ctx, func(tx *store.Tx) error {
		zoe, err = tx.Contact(prop.ID, "zoe@customer.test", "Zoe")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	open := func() {
		t.Helper()
		err := d.Run(ctx, prop, desk.AsContact(zoe), func(o *desk.Op) error {
			tk := ticket.Ticket{Subject: "Invoice is wrong", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium}
			return o.Open(&tk, zoe, "mail from zoe")
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	before := jobs.Load()
	open()
	perOpen := jobs.Load() - before

	const poll = 10 * time.Millisecond
	s := New(Options{Store: st, Poll: poll})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	time.Sleep(5 * poll) // past the prune that starts a run
	base := jobs.Load()
	const opened = 5
	for range opened {
		open()
		time.Sleep(2 * poll)
	}
	time.Sleep(5 * poll)
	got := jobs.Load() - base
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := opened * perOpen; got != want {
		t.Errorf("writer jobs while %d tickets were opened and the sender ran idle = %d, want %d (the openings' own)", opened, got, want)
	}
}
