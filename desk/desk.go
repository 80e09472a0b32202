// Package desk owns every operation on a ticket. Each takes an actor (a
// member, a contact or postdesk itself), checks that the actor may do it,
// validates, and writes the change, the event that records it and the mail
// it causes in one store transaction. Email commands (ingest), the CLI and
// the HTTP API call these operations; nothing changes a ticket another way.
//
// Operations come at two levels. An Op works inside a transaction someone
// else opened: ingest runs an agent's command lines in the transaction that
// stores her mail. The Desk's methods open their own transaction for one
// operation on a ticket and return the ticket as it then is.
package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// Errors of the desk's operations, to be tested with errors.Is. The error
// returned says what was wrong in words meant for the person who asked.
var (
	// ErrForbidden: the actor may not do this (an agent deleting a ticket,
	// a contact changing a priority).
	ErrForbidden = errors.New("not allowed")
	// ErrInvalid: the request is malformed or does not fit the ticket's
	// state (an unknown priority, snoozing a closed ticket).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the ticket, member, contact or topic does not exist.
	ErrNotFound = store.ErrNotFound
	// ErrExists: what is added exists already (a member, a department, a
	// topic of that name).
	ErrExists = store.ErrExists
)

// opError is an operation's refusal: its message is for the person who
// asked, its kind (ErrInvalid, ErrForbidden) for errors.Is.
type opError struct {
	kind error
	msg  string
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.kind }

// invalid returns an ErrInvalid error with a message.
func invalid(format string, args ...any) error {
	return &opError{ErrInvalid, fmt.Sprintf(format, args...)}
}

// forbidden returns an ErrForbidden error with a message.
func forbidden(format string, args ...any) error {
	return &opError{ErrForbidden, fmt.Sprintf(format, args...)}
}

// Options configures a Desk.
type Options struct {
	Store *store.Store
	Keys  *threading.Keys
	// Now is the one clock of the desk's operations and scheduler (and the
	// store's); nil means time.Now.
	Now func() time.Time
	// OnQueued, when set, is called after an operation queued mail, to
	// wake the outbound worker and the digester.
	OnQueued func()
	Logger   *slog.Logger
}

// Desk runs ticket operations, each in its own transaction.
type Desk struct {
	st       *store.Store
	keys     *threading.Keys
	now      func() time.Time
	onQueued func()
	log      *slog.Logger
}

// New returns a Desk.
func New(o Options) *Desk {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnQueued == nil {
		o.OnQueued = func() {}
	}
	return &Desk{st: o.Store, keys: o.Keys, now: o.Now, onQueued: o.OnQueued, log: o.Logger}
}

// Op is one operation's view of a store transaction: where it writes, the
// queue for the mail it causes, and who acts.
type Op struct {
	Tx    *store.Tx
	Queue outbox.Queue
	Actor Actor
	// handedOff: the operation gave the ticket to a department or to
	// nobody on purpose, so neither round-robin (route) nor an answer in
	// it (assignOnAnswer) gives it to someone.
	handedOff bool
	// Sender is the address the mail behind the operation came from (its
	// From, else the envelope sender), when a mail causes it. Reply-To
	// may name anyone, so rules that judge who wrote (spam senders) read
	// Sender, never the requester it names.
	Sender string
	// Automatic: the mail behind the operation is automatic (RFC 3834
	// §5: an out-of-office, a notification). A ticket it opens is not
	// routed (route): nobody asked anything, and it would take a place of
	// an agent's capacity from a customer.
	Automatic bool
}

// NewOp returns an Op in tx for actor on prop, with a queue that sends.
func (d *Desk) NewOp(tx *store.Tx, prop ticket.Property, a Actor, queued *int) *Op {
	return &Op{Tx: tx, Queue: outbox.Queue{Keys: d.keys, Tx: tx, Prop: prop, Count: queued}, Actor: a}
}

// Now is the time of the operation.
func (o *Op) Now() time.Time { return o.Tx.Now() }

// Prop is the property the operation works in.
func (o *Op) Prop() ticket.Property { return o.Queue.Prop }

// event records an event of ticket t done by the operation's actor, and
// emits the desk event it is, if it is one that webhooks and live streams
// carry (hookType).
func (o *Op) event(t *ticket.Ticket, kind, detail string) error {
	if err := o.Tx.AddEvent(t.ID, kind, o.Actor.String(), detail); err != nil {
		return err
	}
	typ, ok := hookType(kind)
	if !ok {
		return nil
	}
	change := &ticket.HookChange{Kind: kind, Actor: o.Actor.String(), Detail: detail}
	o.Tx.Emit(t.PropertyID, t.ID, typ, change)
	if typ == ticket.HookStatusChanged && t.Status == ticket.StatusClosed {
		o.Tx.Emit(t.PropertyID, t.ID, ticket.HookTicketClosed, change)
	}
	return nil
}

// hookType is the desk event a kind of ticket event is, if webhooks and
// live streams carry it. A status event that closes the ticket is also
// ticket.closed; new messages are emitted by the store as it writes them.
func hookType(kind string) (ticket.HookType, bool) {
	switch kind {
	case "created":
		return ticket.HookTicketCreated, true
	case "assigned":
		return ticket.HookTicketAssigned, true
	case "priority":
		return ticket.HookPriorityChanged, true
	case "status":
		return ticket.HookStatusChanged, true
	case "overdue":
		return ticket.HookTicketOverdue, true
	}
	return "", false
}

// audit records a change to the property outside its tickets, by the
// operation's actor, in its audit log (a ticket's changes are its events).
func (o *Op) audit(action, detail string) error {
	return o.Tx.Audit(o.Prop().ID, o.Actor.String(), action, detail)
}

// Do runs fn as actor on ticket number n of prop in one transaction and
// returns the ticket as fn left it. Mail the operation queued is sent once
// the transaction is committed.
func (d *Desk) Do(ctx context.Context, prop ticket.Property, a Actor, n int64, fn func(*Op, *ticket.Ticket) error) (ticket.Ticket, error) {
	var out ticket.Ticket
	err := d.Run(ctx, prop, a, func(o *Op) error {
		t, found, err := o.Tx.TicketByNumber(prop.ID, n)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("ticket #%d of %s: %w", n, prop.Slug, ErrNotFound)
		}
		if err := fn(o, &t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// Run runs fn as actor in one transaction of prop, after checking that the
// actor belongs to prop.
func (d *Desk) Run(ctx context.Context, prop ticket.Property, a Actor, fn func(*Op) error) error {
	if err := a.check(prop); err != nil {
		return err
	}
	queued := 0
	err := d.st.Update(ctx, func(tx *store.Tx) error {
		queued = 0
		return fn(d.NewOp(tx, prop, a, &queued))
	})
	if err == nil && queued > 0 {
		d.onQueued()
	}
	return err
}
