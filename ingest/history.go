package ingest

import (
	"context"
	"errors"
	"fmt"
	"github.com/postdesk/postdesk/desk"
	"sync"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// History is how archived mail (an import of a mailbox's past) is filed. It
// goes through the same delivery as mail arriving now, with three
// differences: it acknowledges, copies and tells no one (its outbox queue is
// silent); the message, its ticket and their events carry the time the mail
// was written, not the time of the import; and the new-ticket rate limit
// does not apply, since old mail came at its own pace. Threading is the
// same, so replies join their tickets whatever the order of the archive
// (a parent imported after its replies joins them, rule referenced-by).
type History struct {
	Property ticket.Property
	// Status, when set, is the status every ticket the import opens or
	// continues is left in (closed, for mail answered long ago); spam stays
	// spam. Empty: the status mail arriving now would give.
	Status ticket.Status
	// Checkpoint, when set, runs in the transaction of each batch after
	// its messages (the importer records how far it got), so that both
	// commit together or neither does.
	Checkpoint func(tx *store.Tx) error
}

// HistoryItem is one archived message.
type HistoryItem struct {
	Raw []byte
	// From is the envelope sender, when the archive knows it (the mbox
	// From line, the Return-Path field): "" when it does not, "<>" for the
	// null sender (RFC 5321 §4.5.5).
	From string
	// Received stands in for the Date of mail without a readable one (the
	// mbox From line's date, the Maildir file's time).
	Received time.Time
}

// HistoryBatch is a batch of archived messages, parsed and ready to store.
type HistoryBatch struct {
	msgs []historyMsg
}

// Len is the number of messages in the batch.
func (b *HistoryBatch) Len() int { return len(b.msgs) }

type historyMsg struct {
	item   HistoryItem
	msg    *parsed
	member *ticket.Member
	fw     forwarded // how the mail was forwarded to the property, if it was
	err    error     // the mail could not be read
}

// HistoryResult counts what a batch did.
type HistoryResult struct {
	Stored     int // stored as messages of tickets (or recorded as bounces)
	Duplicates int // already stored: a rerun, or the same mail twice
	Held       int // held for review (e.g. mail in a member's name)
	Unreadable int // not even a header could be read
}

// Add adds o's counts to r.
func (r *HistoryResult) Add(o HistoryResult) {
	r.Stored += o.Stored
	r.Duplicates += o.Duplicates
	r.Held += o.Held
	r.Unreadable += o.Unreadable
}

// Total is the number of messages counted.
func (r HistoryResult) Total() int { return r.Stored + r.Duplicates + r.Held + r.Unreadable }

// PrepareHistory parses a batch of archived messages for the property,
// as many at once as the pipeline parses. It can run while the previous
// batch is being stored.
func (p *Pipeline) PrepareHistory(ctx context.Context, prop ticket.Property, items []HistoryItem) (*HistoryBatch, error) {
	b := &HistoryBatch{msgs: make([]historyMsg, len(items))}
	var wg sync.WaitGroup
	for i, it := range items {
		select {
		case p.parse <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-p.parse }()
			b.msgs[i] = p.prepareOne(prop, it)
		}()
	}
	wg.Wait()
	props := []ticket.Property{prop}
	for i := range b.msgs {
		m := &b.msgs[i]
		if m.err != nil {
			continue
		}
		fws, err := p.forwardings(ctx, props, m.item.From, m.msg)
		if err != nil {
			return nil, err
		}
		authors, err := p.memberAuthors(ctx, props, m.msg, fws)
		if err != nil {
			return nil, err
		}
		m.fw, m.member = fws[prop.ID], authors[prop.ID]
	}
	return b, nil
}

// prepareOne parses one archived message and dates it: its Date field, else
// the archive's date, else now.
func (p *Pipeline) prepareOne(prop ticket.Property, it HistoryItem) historyMsg {
	msg, err := p.parser.parse(it.Raw)
	if err != nil {
		return historyMsg{item: it, err: err}
	}
	switch {
	case it.From == "<>":
		it.From = "" // the null sender, as SMTP gives it
	case it.From == "" && msg.From != nil:
		it.From = msg.From.Address // unknown: not the null sender
	}
	p.classify(msg, it.From)
	if msg.Date.IsZero() {
		msg.Date = it.Received.UTC()
	}
	if msg.Date.IsZero() {
		msg.Date = p.now().UTC()
	}
	return historyMsg{item: it, msg: msg}
}

// DeliverHistory stores a prepared batch in one transaction, with the
// checkpoint h gives: the whole batch commits or none of it does. Unreadable
// mail is counted and logged, not stored. It returns once the batch is on
// disk; a cancelled ctx stops it only before the batch is handed to the
// store.
func (p *Pipeline) DeliverHistory(ctx context.Context, h History, b *HistoryBatch) (HistoryResult, error) {
	if err := ctx.Err(); err != nil {
		return HistoryResult{}, err
	}
	var res HistoryResult
	to := h.Property.Addresses[:min(1, len(h.Property.Addresses))]
	err := p.store.Update(ctx, func(tx *store.Tx) error {
		tx.Silence() // history is not news: no webhook, no live event
		res = HistoryResult{}
		enqueued := 0
		for i := range b.msgs {
			m := &b.msgs[i]
			if m.err != nil {
				res.Unreadable++
				continue
			}
			tx.SetTime(m.msg.Date)
			env := envelope{from: m.item.From, to: to, enqueued: &enqueued, member: m.member, fw: m.fw, history: &h}
			r, err := p.deliverTo(tx, h.Property, env, m.msg, m.item.Raw)
			if err != nil {
				return fmt.Errorf("deliver to %s: %w", h.Property.Slug, err)
			}
			switch {
			case r.duplicate:
				res.Duplicates++
			case r.heldID != 0:
				res.Held++
			default:
				res.Stored++
			}
			if !r.duplicate && !r.opened && r.ticket != 0 { // a ticket it opened is dated already
				if err := tx.SpanTicket(h.Property.ID, r.ticket, m.msg.Date); err != nil {
					return err
				}
			}
		}
		tx.SetTime(time.Time{})
		if enqueued != 0 {
			return errors.New("imported history queued outbound mail") // Silent broken: never commit that
		}
		if h.Checkpoint != nil {
			return h.Checkpoint(tx)
		}
		return nil
	})
	if err != nil {
		return HistoryResult{}, fmt.Errorf("store history: %w", err)
	}
	for _, m := range b.msgs {
		if m.err != nil {
			p.log.Warn("unreadable archived mail not imported", "property", h.Property.Slug, "err", m.err, "size", len(m.item.Raw))
		}
	}
	return res, nil
}

// historicAnswer files a member's mail from an imported archive on the
// ticket it answers, as the member's message: the archive is the property's
// own mailbox, so the From is taken as written, but nothing is sent and no
// #command runs (the answer went out long ago, and its commands never
// meant anything to postdesk). A member's archived mail that threads into no
// ticket is held, as any unauthenticated member mail is.
func (p *Pipeline) historicAnswer(tx *store.Tx, prop ticket.Property, member ticket.Member, env envelope, dec threading.Decision, msg *parsed, raw []byte) (delivered, error) {
	t := dec.Ticket
	m := memberMessage(prop, t, member, dec, msg, raw, msg.Text)
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return delivered{}, err
	}
	status := t.Status
	if env.history.Status != "" && t.Status != ticket.StatusSpam {
		status = env.history.Status
	}
	o := &desk.Op{Tx: tx, Queue: p.queue(tx, prop, env), Actor: desk.AsMember(member)}
	if err := o.SetStatus(&t, status, "imported history"); err != nil {
		return delivered{}, err
	}
	return delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}, nil
}
