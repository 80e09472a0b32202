// Package ingest is the one inbound pipeline: every path by which mail
// arrives (SMTP, the MTA pipe, IMAP fetch) hands raw bytes to a Pipeline,
// which parses them, finds or creates the contact, decides the ticket and
// stores everything in one durable transaction.
//
// Malformed mail is stored when its header can be read at all (RFC 5322 is
// honoured loosely, as real mail requires); the parser's complaints are kept
// on the message and the raw bytes are kept exactly as received.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"runtime"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Options configures a Pipeline.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// MaxParallelParse bounds how many messages are parsed at once, which
	// bounds the memory parsing takes. Zero means GOMAXPROCS.
	MaxParallelParse int
}

// Pipeline turns raw mail into stored tickets and messages.
type Pipeline struct {
	store  *store.Store
	log    *slog.Logger
	now    func() time.Time
	parser *parser
	parse  chan struct{} // parse slots
}

// New returns a Pipeline.
func New(opts Options) *Pipeline {
	p := &Pipeline{store: opts.Store, log: opts.Logger, now: opts.Now, parser: newParser()}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	n := opts.MaxParallelParse
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p.parse = make(chan struct{}, n)
	return p
}

// Rejection is a permanent refusal: the sender must not retry, and the reason
// is safe to show to it.
type Rejection struct {
	Reason string
	// UnknownRecipient marks a refusal of one recipient address.
	UnknownRecipient bool
}

func (r *Rejection) Error() string { return r.Reason }

// Permanent reports that the refusal is permanent.
func (r *Rejection) Permanent() bool { return true }

// CheckRecipient tells whether addr is an inbound address of some property.
// An unknown address is a *Rejection; any other error is temporary.
func (p *Pipeline) CheckRecipient(ctx context.Context, addr string) error {
	_, err := p.store.PropertyByAddress(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return &Rejection{Reason: fmt.Sprintf("no such mailbox here: %s", addr), UnknownRecipient: true}
	}
	return err
}

// Deliver stores one message received for the given envelope recipients. Each
// property among the recipients gets the message once; all of them commit in
// one transaction, and Deliver returns only once that is on disk. A returned
// *Rejection is permanent; any other error is temporary.
func (p *Pipeline) Deliver(ctx context.Context, from string, to []string, data []byte) error {
	props, err := p.recipientProperties(ctx, to)
	if err != nil {
		return err
	}
	select {
	case p.parse <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	msg, err := p.parser.parse(data)
	<-p.parse
	if err != nil {
		return &Rejection{Reason: err.Error()}
	}
	var results []delivered
	err = p.store.Update(ctx, func(tx *store.Tx) error {
		results = results[:0]
		for _, prop := range props {
			r, err := p.deliverTo(tx, prop, from, msg, data)
			if err != nil {
				return fmt.Errorf("deliver to %s: %w", prop.Slug, err)
			}
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store message: %w", err)
	}
	for _, r := range results {
		p.log.Info("delivered", "property", r.property, "ticket", r.ticket, "message", r.messageID,
			"message_id", msg.MessageID, "duplicate", r.duplicate, "thread", r.thread, "size", len(data))
	}
	return nil
}

// recipientProperties maps envelope recipients to their distinct properties,
// in the order first named.
func (p *Pipeline) recipientProperties(ctx context.Context, to []string) ([]ticket.Property, error) {
	var props []ticket.Property
	seen := map[int64]bool{}
	for _, rcpt := range to {
		prop, err := p.store.PropertyByAddress(ctx, rcpt)
		if errors.Is(err, store.ErrNotFound) {
			continue // checked at RCPT; removed since
		}
		if err != nil {
			return nil, err
		}
		if !seen[prop.ID] {
			seen[prop.ID] = true
			props = append(props, prop)
		}
	}
	if len(props) == 0 {
		return nil, &Rejection{Reason: "no valid recipients", UnknownRecipient: true}
	}
	return props, nil
}

// delivered describes what one delivery did in one property, for the log.
type delivered struct {
	property  string
	ticket    int64
	messageID int64
	duplicate bool
	thread    string
}

// deliverTo stores msg in one property inside tx.
func (p *Pipeline) deliverTo(tx *store.Tx, prop ticket.Property, envFrom string, msg *parsed, raw []byte) (delivered, error) {
	res := delivered{property: prop.Slug}
	id, number, dup, err := tx.Retransmission(prop.ID, msg.MessageID, msg.ContentHash)
	if err != nil {
		return res, err
	}
	if dup {
		res.ticket, res.messageID, res.duplicate = number, id, true
		return res, nil
	}
	requester, author := p.people(msg, envFrom)
	contact, err := tx.Contact(prop.ID, requester.Address, requester.Name)
	if err != nil {
		return res, err
	}
	t := ticket.Ticket{
		PropertyID: prop.ID, Subject: subjectOrDefault(msg.Subject), Status: ticket.StatusOpen,
		Priority: ticket.PriorityNormal, RequesterID: contact.ID,
	}
	if err := tx.CreateTicket(&t); err != nil {
		return res, err
	}
	if err := tx.AddParticipant(t.ID, contact.ID, "requester"); err != nil {
		return res, err
	}
	if err := tx.AddEvent(t.ID, "created", contact.Email, "ticket opened by inbound mail"); err != nil {
		return res, err
	}
	m := newMessage(msg, raw)
	m.PropertyID, m.TicketID, m.AuthorID = prop.ID, t.ID, contact.ID
	m.AuthorEmail, m.AuthorName = strings.ToLower(author.Address), author.Name
	m.Thread = "new ticket"
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return res, err
	}
	res.ticket, res.messageID, res.thread = t.Number, m.ID, m.Thread
	return res, nil
}

// people returns the requester (the first Reply-To address if present, else
// From) and the author (From). The envelope sender stands in for a missing or
// unreadable From.
func (p *Pipeline) people(msg *parsed, envFrom string) (requester, author mail.Address) {
	switch {
	case msg.From != nil:
		author = *msg.From
	case envFrom != "":
		author = mail.Address{Address: envFrom}
	default:
		author = mail.Address{Address: "unknown-sender@postdesk.invalid"}
	}
	requester = author
	if len(msg.ReplyTo) > 0 {
		requester = *msg.ReplyTo[0]
	}
	return requester, author
}

func subjectOrDefault(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "(no subject)"
	}
	return s
}

// newMessage fills a ticket.Message from the parsed mail.
func newMessage(msg *parsed, raw []byte) *ticket.Message {
	m := &ticket.Message{
		Direction: ticket.Inbound, Kind: ticket.KindEmail,
		MessageID: msg.MessageID, Synthetic: msg.Synthetic,
		InReplyTo: msg.InReplyTo, References: msg.References,
		ReplyTo: addrList(msg.ReplyTo), To: addrList(msg.To), Cc: addrList(msg.Cc),
		Subject: msg.Subject, Date: msg.Date, Text: msg.Text, HTML: msg.HTML,
		RawSHA256: sha256Hex(raw), RawSize: int64(len(raw)), ContentHash: msg.ContentHash,
		Warnings: msg.Warnings,
	}
	for _, a := range msg.Attachments {
		m.Attachments = append(m.Attachments, ticket.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Content)),
			SHA256: a.SHA256, ContentID: a.ContentID, Inline: a.Inline,
		})
	}
	return m
}

// storeMessage writes the raw bytes, the attachment contents and the message.
func storeMessage(tx *store.Tx, m *ticket.Message, msg *parsed, raw []byte) error {
	if err := tx.PutBlob(m.RawSHA256, raw); err != nil {
		return err
	}
	for _, a := range msg.Attachments {
		if err := tx.PutBlob(a.SHA256, a.Content); err != nil {
			return err
		}
	}
	return tx.InsertMessage(m)
}

func addrList(l []*mail.Address) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}
