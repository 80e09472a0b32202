package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// outboundRun measures the outbox: it queues copies of one customer message
// to a member, then runs postdesk's notify worker against a relay until
// every row is sent, and reports messages per second.
//
//	postdesk-load outbound -data DIR -relay smtp://127.0.0.1:2601?tls=none -messages 10000
func outboundRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load outbound", flag.ContinueOnError)
	data := fs.String("data", "postdesk-data", "postdesk data directory (a property acme is created if missing)")
	relay := fs.String("relay", "smtp://127.0.0.1:2601?tls=none", "relay to deliver to")
	n := fs.Int("messages", 10000, "rows to queue and deliver")
	workers := fs.Int("workers", 4, "delivery goroutines, each with its own connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openData(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	prop, err := st.Property(ctx, "acme")
	if err != nil {
		if prop, err = st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
			FromName: "Acme", FromAddress: "support@acme.test", TagFormat: "[#%d]"}); err != nil {
			return err
		}
	}
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte(rand.Text())})
	if err != nil {
		return err
	}
	if err := queueCopies(ctx, st, keys, prop, *n); err != nil {
		return err
	}
	tr, err := notify.ParseRelay(*relay, "load.test")
	if err != nil {
		return err
	}
	w := notify.New(notify.Options{Store: st, Keys: keys, Transport: tr, InstanceID: "load", Workers: *workers, Poll: 10 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { w.Run(runCtx); close(done) }()
	for {
		queued, err := st.Outbox(ctx, prop.ID, ticket.OutQueued)
		if err != nil {
			cancel()
			return err
		}
		if len(queued) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	failed, err := st.Outbox(ctx, prop.ID, ticket.OutFailed)
	if err != nil {
		return fmt.Errorf("outbound: counting failed rows: %w", err)
	}
	fmt.Fprintf(out, "outbound: %d messages to %s with %d workers in %.2fs: %.0f msg/s, %d failed\n",
		*n, *relay, *workers, elapsed.Seconds(), float64(*n)/elapsed.Seconds(), len(failed))
	return nil
}

// queueCopies queues n copies of one customer message to one member.
func queueCopies(ctx context.Context, st *store.Store, keys *threading.Keys, prop ticket.Property, n int) error {
	member, err := st.AddMember(ctx, prop.Slug, ticket.Member{Email: fmt.Sprintf("agent%d@acme.test", time.Now().UnixNano()), Name: "Agent", Role: ticket.RoleAgent}, "postdesk-load")
	if err != nil {
		return err
	}
	return st.Update(ctx, func(tx *store.Tx) error {
		tx.Silence()
		c, err := tx.Contact(prop.ID, "carol@example.com", "Carol")
		if err != nil {
			return err
		}
		t := ticket.Ticket{PropertyID: prop.ID, Subject: "Outbound load", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: c.ID}
		if err := tx.CreateTicket(&t); err != nil {
			return err
		}
		body := filler(2048)
		m := &ticket.Message{PropertyID: prop.ID, TicketID: t.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorID: c.ID, AuthorEmail: c.Email, AuthorName: c.Name, MessageID: "outbound-load@example.com", Subject: t.Subject, Text: body}
		if err := tx.InsertMessage(m, []byte(body)); err != nil {
			return err
		}
		q := outbox.Queue{Keys: keys, Tx: tx, Prop: prop}
		for i := 0; i < n; i++ {
			if err := q.ToMember(ticket.OutCopy, t, m.ID, member); err != nil {
				return err
			}
		}
		return nil
	})
}
