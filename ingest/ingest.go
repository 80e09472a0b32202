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
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// Options configures a Pipeline.
type Options struct {
	Store *store.Store
	// Keys sign and verify the reply tokens and Message-IDs postdesk mints.
	Keys *threading.Keys
	// InstanceID names the deployment first in the loop header of its
	// outbound mail (outbox.LoopValue); mail carrying it coming back in is
	// ours, whichever gateway sent it, and never a ticket.
	InstanceID string
	// Gateway, when set, is this gateway's own name, recognised too in
	// the loop header of mail that earlier versions sent.
	Gateway string
	// Limits against mail storms; zero values take the defaults.
	Limits Limits
	// OnEnqueue, when set, is called after a delivery that queued outbound
	// mail has committed (to wake the outbound worker).
	OnEnqueue func()
	// Observer, when set, is told what each delivery did once it has
	// committed (for metrics).
	Observer Observer
	Logger   *slog.Logger
	Now      func() time.Time
	// MaxParallelParse bounds how many messages are parsed at once. Zero
	// means GOMAXPROCS.
	MaxParallelParse int
	// MaxInflightBytes bounds the bytes of the messages being parsed and
	// stored at once (a larger message waits its turn alone), which bounds
	// the memory their copies take. Zero means 48 MiB.
	MaxInflightBytes int64
}

// Observer is told what deliveries did, after they commit: a transaction
// may run more than once, its commit only once. Its methods must not block.
type Observer interface {
	// Held is called for mail kept but not posted, with the reason.
	Held(reason string)
	// Bounce is called for a delivery report or complaint: its kind (dsn,
	// arf, mdn, other; RFC 3464, RFC 5965, RFC 8098) and whether it was
	// verified to concern mail of ours.
	Bounce(kind string, verified bool)
}

type noObserver struct{}

func (noObserver) Held(string)         {}
func (noObserver) Bounce(string, bool) {}

// Pipeline turns raw mail into stored tickets and messages.
type Pipeline struct {
	store      *store.Store
	keys       *threading.Keys
	resolver   *threading.Resolver
	instanceID string
	gateway    string
	limits     Limits
	onEnqueue  func()
	observer   Observer
	inflight   *budget

	log    *slog.Logger
	now    func() time.Time
	parser *parser
	parse  chan struct{} // parse slots
}

// Limits bound what one address can make postdesk do.
type Limits struct {
	// AcksPerHour caps acknowledgements to one base address (RFC 5233
	// detail removed) per property [10].
	AcksPerHour int
	// AckCeiling caps acknowledgements per property and hour [200].
	AckCeiling int
	// NewTicketsPerHour caps the tickets one sender opens per property;
	// further new mail is held, not dropped [20].
	NewTicketsPerHour int
	// ParticipantsPerMail caps the participants one mail (or one #cc
	// command) can add or propose; a mail naming more is held [20].
	ParticipantsPerMail int
	// RecipientsPerAnswer caps the addresses one agent answer goes to; an
	// answer to more is kept as a note and not sent [50].
	RecipientsPerAnswer int
}

func (l Limits) withDefaults() Limits {
	if l.AcksPerHour <= 0 {
		l.AcksPerHour = 10
	}
	if l.AckCeiling <= 0 {
		l.AckCeiling = 200
	}
	if l.NewTicketsPerHour <= 0 {
		l.NewTicketsPerHour = 20
	}
	if l.ParticipantsPerMail <= 0 {
		l.ParticipantsPerMail = 20
	}
	if l.RecipientsPerAnswer <= 0 {
		l.RecipientsPerAnswer = 50
	}
	return l
}

// New returns a Pipeline.
func New(opts Options) *Pipeline {
	p := &Pipeline{store: opts.Store, keys: opts.Keys, resolver: &threading.Resolver{Keys: opts.Keys},
		instanceID: opts.InstanceID, gateway: opts.Gateway, limits: opts.Limits.withDefaults(), onEnqueue: opts.OnEnqueue, observer: opts.Observer, log: opts.Logger, now: opts.Now, parser: newParser()}
	if p.observer == nil {
		p.observer = noObserver{}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.inflight = newBudget(opts.MaxInflightBytes)
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
	_, found, err := p.store.CachedPropertyByAddress(ctx, addr)
	if err == nil && !found {
		return &Rejection{Reason: fmt.Sprintf("no such mailbox here: %s", addr), UnknownRecipient: true}
	}
	return err
}

// Deliver stores one message received for the given envelope recipients. Each
// property among the recipients gets the message once; all of them commit in
// one transaction, and Deliver returns only once that is on disk. A returned
// *Rejection is permanent; any other error is temporary.
func (p *Pipeline) Deliver(ctx context.Context, from string, to []string, data []byte) error {
	return p.DeliverRaw(ctx, from, to, memRaw(data), int64(len(data)))
}

// memRaw is a message in memory, as DeliverRaw reads it.
type memRaw []byte

func (m memRaw) ReadAt(b []byte, off int64) (int, error) { return bytes.NewReader(m).ReadAt(b, off) }
func (m memRaw) Bytes() []byte                           { return m }

// DeliverRaw is Deliver for a message of size bytes read through raw, in
// memory or in a spool file (smtpd's Deliverer). A raw with a method
// Bytes() []byte is used in place; any other is read into memory within the
// in-flight budget, as large messages take their turn.
func (p *Pipeline) DeliverRaw(ctx context.Context, from string, to []string, raw io.ReaderAt, size int64) error {
	return p.DeliverWith(ctx, from, to, raw, size, DeliverOptions{})
}

// DeliverOptions are what an inbound path asks of one delivery beyond its
// envelope. Every path's wishes live here, so that there is one delivery.
type DeliverOptions struct {
	// Mailbox, when set, is the IMAP fetch position this message
	// advances. It commits in the delivery's transaction, so that a crash
	// neither loses the message nor fetches it twice; a position not
	// beyond the stored one fails the delivery with store.ErrStaleProgress.
	Mailbox *store.MailboxProgress
}

// DeliverWith is DeliverRaw with options.
func (p *Pipeline) DeliverWith(ctx context.Context, from string, to []string, raw io.ReaderAt, size int64, opts DeliverOptions) error {
	props, err := p.recipientProperties(ctx, to)
	if err != nil {
		return err
	}
	release, err := p.inflight.acquire(ctx, size)
	if err != nil {
		return err
	}
	defer release()
	data, err := rawBytes(raw, size)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
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
	p.classify(msg, from)
	fws, err := p.forwardings(ctx, props, from, msg)
	if err != nil {
		return err
	}
	authors, err := p.memberAuthors(ctx, props, msg, fws)
	if err != nil {
		return err
	}
	var results []delivered
	enqueued := 0
	err = p.store.Update(ctx, func(tx *store.Tx) error {
		results, enqueued = results[:0], 0
		if err := lockThreads(tx, props, msg); err != nil {
			return err
		}
		for _, prop := range props {
			env := envelope{from: from, to: to, enqueued: &enqueued, member: authors[prop.ID], fw: fws[prop.ID]}
			r, err := p.deliverTo(tx, prop, env, msg, data)
			if err != nil {
				return fmt.Errorf("deliver to %s: %w", prop.Slug, err)
			}
			results = append(results, r)
		}
		if opts.Mailbox != nil {
			return tx.RecordMailboxProgress(*opts.Mailbox, true)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store message: %w", err)
	}
	for _, r := range results {
		p.log.Info("delivered", "property", r.property, "ticket", r.ticket, "message", r.messageID,
			"message_id", msg.MessageID, "duplicate", r.duplicate, "thread", r.thread, "size", len(data))
		p.observe(r)
	}
	if enqueued > 0 && p.onEnqueue != nil {
		p.onEnqueue()
	}
	return nil
}

// observe tells the observer what a committed delivery did.
func (p *Pipeline) observe(r delivered) {
	if r.heldReason != "" {
		p.observer.Held(r.heldReason)
	}
	if r.bounceKind != "" {
		p.observer.Bounce(r.bounceKind, r.bounceVerified)
	}
}

// classify marks mail a machine sent (RFC 3834 and kin).
func (p *Pipeline) classify(msg *parsed, envFrom string) {
	fromHeader := ""
	if msg.From != nil {
		fromHeader = msg.From.Address
	}
	msg.Automatic, msg.AutoReason = threading.Automatic(msg.Header, envFrom, fromHeader)
}

// rawBytes returns the size bytes of raw, in place when it has them.
func rawBytes(raw io.ReaderAt, size int64) ([]byte, error) {
	if m, ok := raw.(interface{ Bytes() []byte }); ok {
		return m.Bytes(), nil
	}
	data := make([]byte, size)
	n, err := raw.ReadAt(data, 0)
	if int64(n) == size {
		return data, nil
	}
	return nil, err
}

// memberAuthors finds, for each property, the member whose address the
// mail's From names, if any: the From of the forwarded message when the
// mail is a forwarding mailbox's forward (asForwarded).
func (p *Pipeline) memberAuthors(ctx context.Context, props []ticket.Property, msg *parsed, fws map[int64]forwarded) (map[int64]*ticket.Member, error) {
	authors := map[int64]*ticket.Member{}
	for _, prop := range props {
		from := asForwarded(msg, fws[prop.ID]).From
		if from == nil {
			continue
		}
		m, ok, err := p.store.CachedMember(ctx, prop, from.Address)
		if err != nil {
			return nil, err
		}
		if ok {
			authors[prop.ID] = &m
		}
	}
	return authors, nil
}

// recipientProperties maps envelope recipients to their distinct properties,
// ordered by id.
func (p *Pipeline) recipientProperties(ctx context.Context, to []string) ([]ticket.Property, error) {
	var props []ticket.Property
	seen := map[int64]bool{}
	for _, rcpt := range to {
		prop, found, err := p.store.CachedPropertyByAddress(ctx, rcpt)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // checked at RCPT; removed since
		}
		if !seen[prop.ID] {
			seen[prop.ID] = true
			props = append(props, prop)
		}
	}
	if len(props) == 0 {
		return nil, &Rejection{Reason: "no valid recipients", UnknownRecipient: true}
	}
	// In one order whatever the recipients' order: a delivery locks rows
	// of each property (its ticket counter, its folder counts), and two
	// gateways delivering to the same properties in opposite orders would
	// each hold one and wait for the other (a deadlock, run again after a
	// second).
	slices.SortFunc(props, func(a, b ticket.Property) int { return cmp.Compare(a.ID, b.ID) })
	return props, nil
}
