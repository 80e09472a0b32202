package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// fill writes messages straight into a postdesk database, the way ingest
// stores them (contact, ticket, participant, event, message with its raw
// bytes, thread id), in large transactions: a store of a million messages
// in minutes, for growth measurements.
//
//	postdesk-load fill -data DIR -property acme -messages 1000000
func fill(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load fill", flag.ContinueOnError)
	data := fs.String("data", "postdesk-data", "postdesk data directory")
	slug := fs.String("property", "acme", "property to fill (must exist)")
	n := fs.Int("messages", 1000000, "messages to add")
	perTicket := fs.Int("per-ticket", 4, "messages per ticket")
	size := fs.Int("size", 2048, "approximate raw size of each message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openData(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	prop, err := st.Property(ctx, *slug)
	if err != nil {
		return err
	}
	body := filler(*size)
	start := time.Now()
	const batch = 5000
	for done := 0; done < *n; done += batch {
		count := min(batch, *n-done)
		err := st.Update(ctx, func(tx *store.Tx) error { return fillBatch(tx, prop, done, count, *perTicket, body) })
		if err != nil {
			return fmt.Errorf("fill at %d: %w", done, err)
		}
		if (done/batch)%20 == 0 {
			fmt.Fprintf(out, "%d messages, %.0f/s\n", done+count, float64(done+count)/time.Since(start).Seconds())
		}
	}
	fmt.Fprintf(out, "filled %d messages in %s\n", *n, time.Since(start).Round(time.Second))
	return nil
}

func fillBatch(tx *store.Tx, prop ticket.Property, first, count, perTicket int, body string) error {
	var t ticket.Ticket
	for i := first; i < first+count; i++ {
		conv := i / perTicket
		c, err := tx.Contact(prop.ID, fmt.Sprintf("fill%d@fill.test", conv), "Fill Customer")
		if err != nil {
			return err
		}
		if i%perTicket == 0 || t.ID == 0 {
			t = ticket.Ticket{PropertyID: prop.ID, Subject: fmt.Sprintf("fill %d", conv), Status: ticket.StatusOpen,
				Priority: ticket.PriorityMedium, RequesterID: c.ID}
			if err := tx.CreateTicket(&t); err != nil {
				return err
			}
			if err := tx.AddParticipant(t.ID, c.ID, "requester"); err != nil {
				return err
			}
			if err := tx.AddEvent(t.ID, "created", c.Email, "filled"); err != nil {
				return err
			}
		}
		id := fmt.Sprintf("fill-%d@fill.test", i)
		raw := "From: " + c.Email + "\r\nMessage-ID: <" + id + ">\r\nSubject: " + t.Subject + "\r\n\r\n" + body
		sum := sha256.Sum256([]byte(raw))
		m := &ticket.Message{PropertyID: prop.ID, TicketID: t.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorID: c.ID, AuthorEmail: c.Email, MessageID: id, Subject: t.Subject, Text: body,
			RawSHA256: hex.EncodeToString(sum[:]), RawSize: int64(len(raw)), ContentHash: hex.EncodeToString(sum[:]), Thread: "rule=new"}
		if err := tx.InsertMessage(m, []byte(raw)); err != nil {
			return err
		}
		if err := tx.AddThreadIDs(prop.ID, t.ID, store.ThreadInbound, id); err != nil {
			return err
		}
	}
	return nil
}
