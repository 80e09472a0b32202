// Package notify delivers the outbox: a worker takes due rows, renders each
// into a MIME message (RFC 5322, RFC 2045) and hands it to the transport, an
// SMTP relay or, with none configured, a local Maildir.
//
// Temporary failures (4xx replies, network errors) are retried with
// exponential backoff for up to five days (RFC 5321 §4.5.4.1); a 5xx reply
// fails the row for good, is recorded on the ticket and told to the
// ticket's team. A row is marked sent right after the transport accepts it:
// a crash in between sends it once more, with the same Message-ID, so the
// receiver can deduplicate. Only a queued row is marked sent or retried: a
// verified bounce that failed it while it was being sent stands. Likewise
// only a row this gateway still claims: once its lease ran out and another
// gateway claimed it, the outcome is the other gateway's to record.
//
// Several gateways may share one database: a row is claimed by one of
// them (by its own name, Options.Gateway, for a lease) before it is sent, so that each
// row is sent by one gateway, once (store.ClaimOutbox).
package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
)

// Options configures a Worker. Zero values take the defaults in brackets.
type Options struct {
	Store     *store.Store
	Keys      *threading.Keys
	Transport Transport
	// InstanceID is the deployment's name, first in the loop header of
	// every mail: the same on every gateway sharing the database, so that
	// mail any of them sent is recognised when it comes back.
	InstanceID string
	// Gateway is this gateway's own name [InstanceID], after InstanceID
	// in the loop header, and the owner of its claims on outbox rows: it
	// must differ between gateways sharing a database, and stay the same
	// across a restart (whose first step releases the claims a killed
	// predecessor left).
	Gateway string
	DKIM    *DKIM // signs outbound mail when set
	Logger  *slog.Logger
	Now     func() time.Time
	Workers int           // concurrent deliveries, each with its own connection [4]
	Poll    time.Duration // how often to look for due rows without a Kick [1s]
	MaxAge  time.Duration // how long to retry a temporary failure [120h]
	// Lease is how long a claimed row is this gateway's before another
	// may take it [DefaultLease]. An attempt still running at the end of
	// its lease is cut off (and retried), so a row is never sent by two
	// gateways at once.
	Lease time.Duration
	// ShutdownGrace is how long the deliveries in flight may still take
	// once Run's context is cancelled; then their connections are closed
	// and their rows retried later [30s].
	ShutdownGrace time.Duration
	// OnDelivery, when set, is told the outcome of each attempt (for
	// metrics). It is called from the delivery goroutines and must not
	// block.
	OnDelivery func(Delivery)
}

// Delivery is the outcome of one attempt to deliver an outbox row.
type Delivery struct {
	Kind    string // the row's kind: ack, copy, reply, notice, ...
	Outcome string // "sent", "deferred" (retried later) or "failed" (for good)
	// Latency is how long the mail waited from being queued to being
	// handed to the transport, by the worker's clock (sent only); Took is
	// the attempt itself, rendering included.
	Latency time.Duration
	Took    time.Duration
}

// Outcomes of a Delivery.
const (
	OutcomeSent     = "sent"
	OutcomeDeferred = "deferred"
	OutcomeFailed   = "failed"
)

// DefaultLease is how long a claimed row stays claimed. An attempt takes
// at most the relay's connect timeout (30s) and a handful of commands of 2
// minutes each (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA and the data's
// end: Relay's timeouts); a row claimed waits for at most the attempts of
// the few rows claimed with it (four per delivery goroutine), each over in
// seconds unless the relay stalls; it is cut off at the lease's end rather
// than sent late, and one whose turn comes too near that end is released
// untouched, to be claimed afresh. A gateway killed mid-attempt thus delays its rows
// by 15 minutes at most, for the other gateways; restarted, it sends them
// at once.
const DefaultLease = 15 * time.Minute

// leaseMargin is how long before the lease runs out an attempt is cut off
// (a quarter of a shorter lease), leaving time to record its outcome and
// for gateways' clocks that differ a little.
const leaseMargin = 30 * time.Second

// attemptTime is how long an attempt may take under a lease.
func attemptTime(lease time.Duration) time.Duration {
	return lease - min(leaseMargin, lease/4)
}

// Worker delivers outbox rows.
type Worker struct {
	store      *store.Store
	keys       *threading.Keys
	transport  Transport
	instanceID string
	gateway    string
	dkim       *DKIM
	log        *slog.Logger
	now        func() time.Time
	workers    int
	poll       time.Duration
	maxAge     time.Duration
	lease      time.Duration
	grace      time.Duration
	kick       chan struct{}
	html       *bluemonday.Policy // sanitises customer HTML in members' copies
	onDelivery func(Delivery)
}

// New returns a Worker; Run starts it.
func New(opts Options) *Worker {
	w := &Worker{store: opts.Store, keys: opts.Keys, transport: opts.Transport, instanceID: opts.InstanceID, gateway: opts.Gateway,
		dkim: opts.DKIM, log: opts.Logger, now: opts.Now, workers: opts.Workers, poll: opts.Poll, maxAge: opts.MaxAge,
		lease: opts.Lease, grace: opts.ShutdownGrace, kick: make(chan struct{}, 1), html: customerHTMLPolicy(), onDelivery: opts.OnDelivery}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.workers <= 0 {
		w.workers = 4
	}
	if w.poll <= 0 {
		w.poll = time.Second
	}
	if w.maxAge <= 0 {
		w.maxAge = 5 * 24 * time.Hour
	}
	if w.lease <= 0 {
		w.lease = DefaultLease
	}
	if w.instanceID == "" {
		w.instanceID = "postdesk"
	}
	if w.gateway == "" {
		w.gateway = w.instanceID
	}
	if w.grace <= 0 {
		w.grace = 30 * time.Second
	}
	if w.onDelivery == nil {
		w.onDelivery = func(Delivery) {}
	}
	return w
}

// Kick tells the worker that rows were queued. It never blocks.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers due rows until ctx is cancelled, then waits for the
// deliveries in progress to finish: a mail being handed to the relay is
// not cut off at once. After the grace period (Options.ShutdownGrace) the
// ones still running are: their connections are closed, and their rows,
// never marked sent without the relay's 250, are retried later. It
// returns nil once stopped.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("outbound worker started", "transport", w.transport.String(), "workers", w.workers)
	deliverCtx, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	stopGrace := context.AfterFunc(ctx, func() {
		timer := time.AfterFunc(w.grace, func() {
			w.log.Warn("deliveries still running after the grace period: cut off, to be retried", "grace", w.grace)
			cutOff()
		})
		context.AfterFunc(deliverCtx, func() { timer.Stop() })
	})
	defer stopGrace()
	jobs := make(chan dueRow)
	done := make(chan finished, w.workers)
	var wg sync.WaitGroup
	for i := 0; i < w.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliverLoop(deliverCtx, jobs, done)
		}()
	}
	w.dispatch(ctx, jobs, done)
	close(jobs)
	// Take the last completions, so that no delivery goroutine blocks on
	// a full done channel that nobody reads any more.
	go func() {
		wg.Wait()
		close(done)
	}()
	for range done {
	}
	w.log.Info("outbound worker stopped")
	return nil
}

// dueRow is a claimed row and the real time its attempt must be over by:
// the deadline of its claim, shared by every row claimed with it. A row
// whose turn comes with less than minAttempt left is released untouched
// (giveBack) rather than attempted.
type dueRow struct {
	store.OutboxRow
	deadline time.Time
}

// dispatch claims due rows and hands them out to the delivery goroutines,
// up to four rows per goroutine at once (one claim, one transaction, for
// many rows: a claim is a write, and SQLite's writer commits each). It
// first releases the claims this gateway's name still holds (left by a
// predecessor that was killed), and at the end those of rows it claimed
// and could not hand out. After a database error in a claim or in
// recording an attempt it takes back, once the database answers again,
// every claim of its name but the rows in flight (a claim may have
// committed while the client saw an error, and a row whose outcome was not
// recorded stays claimed): they would otherwise wait out their lease.
func (w *Worker) dispatch(ctx context.Context, jobs chan<- dueRow, done <-chan finished) {
	inFlight := map[int64]bool{}
	reclaim := true // at start: what a killed predecessor claimed
	finish := func(f finished) {
		delete(inFlight, f.id)
		reclaim = reclaim || !f.recorded
	}
	ticker := time.NewTicker(w.poll)
	defer ticker.Stop()
	for {
		if reclaim {
			reclaim = !w.reclaim(ctx, inFlight)
		}
		deadline := time.Now().Add(attemptTime(w.lease))
		rows, err := w.store.ClaimOutbox(ctx, w.gateway, w.now(), w.lease, 4*w.workers)
		if err != nil && ctx.Err() == nil {
			w.log.Error("claiming outbox rows", "err", err)
			reclaim = true
		}
		for i := 0; i < len(rows); {
			select {
			case jobs <- dueRow{rows[i], deadline}:
				inFlight[rows[i].ID] = true
				i++
			case f := <-done:
				finish(f)
			case <-ctx.Done():
				w.release(rows[i:])
				return
			}
		}
		select {
		case f := <-done:
			finish(f)
		case <-w.kick:
		case <-ticker.C:
		case <-ctx.Done():
			return
		}
	}
}

// reclaim releases this gateway's claims on every row but those in
// flight, and says whether the database answered.
func (w *Worker) reclaim(ctx context.Context, inFlight map[int64]bool) bool {
	keep := make([]int64, 0, len(inFlight))
	for id := range inFlight {
		keep = append(keep, id)
	}
	n, err := w.store.ReleaseOutboxClaimsExcept(ctx, w.gateway, keep)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("taking back this gateway's claims on the outbox", "err", err)
		}
		return false
	}
	if n > 0 {
		w.log.Info("took back the outbox rows claimed under this gateway's name and not in flight", "rows", n, "in_flight", len(keep))
	}
	return true
}

// finished is a row whose attempt is over, and whether its outcome was
// recorded (if not, the row is still claimed).
type finished struct {
	id       int64
	recorded bool
}

// release gives up the claims of rows that were not handed out.
func (w *Worker) release(rows []store.OutboxRow) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if _, err := w.store.ReleaseOutboxClaims(context.Background(), w.gateway, ids...); err != nil {
		w.log.Error("releasing claimed outbox rows", "rows", len(ids), "err", err)
	}
}

// deliverLoop sends rows with one Sender, reusing its connection.
func (w *Worker) deliverLoop(ctx context.Context, jobs <-chan dueRow, done chan<- finished) {
	sender := w.transport.Open()
	defer func() {
		if err := sender.Close(); err != nil {
			w.log.Warn("closing the outbound connection", "transport", w.transport.String(), "err", err)
		}
	}()
	for row := range jobs {
		if left := time.Until(row.deadline); left < w.minAttempt() {
			done <- finished{row.ID, w.giveBack(ctx, row, left)}
			continue
		}
		attempt, cancel := context.WithDeadline(ctx, row.deadline)
		recorded := w.deliver(attempt, sender, row.OutboxRow)
		cancel()
		done <- finished{row.ID, recorded}
	}
}

// minAttempt is the least time left under its lease for which a row's
// attempt is started: the margin the lease keeps (a quarter of a short
// one).
func (w *Worker) minAttempt() time.Duration {
	return min(leaseMargin, w.lease/4)
}

// giveBack releases the claim of a row whose turn came too late in its
// lease for an attempt (the attempts before it, on the same connection,
// took long: a stalled relay), without counting an attempt it never made,
// so that it is claimed afresh with a lease of its own. It says whether the
// release reached the database (if not, the row is still claimed).
func (w *Worker) giveBack(ctx context.Context, row dueRow, left time.Duration) bool {
	log := w.log.With("outbox", row.ID, "kind", row.Kind, "rcpt", row.Rcpt, "ticket_id", row.TicketID)
	if _, err := w.store.ReleaseOutboxClaims(context.WithoutCancel(ctx), w.gateway, row.ID); err != nil {
		log.Error("releasing a row whose lease was nearly over before its attempt", "err", err)
		return false
	}
	log.Info("not attempted: its lease was nearly over when its turn came; released, to be claimed afresh", "left", left)
	return true
}

// deliver sends one row and records the outcome, and says whether the
// record reached the database (if not, the row is still claimed). Recording
// uses a context that outlives cancellation: a mail handed over must be
// marked sent.
func (w *Worker) deliver(ctx context.Context, sender Sender, row store.OutboxRow) bool {
	log := w.log.With("outbox", row.ID, "kind", row.Kind, "rcpt", row.Rcpt, "ticket_id", row.TicketID)
	rec := context.WithoutCancel(ctx)
	start := time.Now() // Took is real time, whatever the clock says
	mail, err := w.render(ctx, row)
	if err == nil {
		err = sender.Send(ctx, mail.from, []string{row.Rcpt}, mail.raw)
	}
	d := Delivery{Kind: row.Kind, Took: time.Since(start), Outcome: w.outcome(row, err)}
	recorded := true
	switch d.Outcome {
	case OutcomeSent:
		d.Latency = max(w.now().Sub(row.CreatedAt), 0)
		switch err := w.store.MarkSent(rec, row.ID, w.gateway); {
		case errors.Is(err, store.ErrNotQueued):
			log.Warn("sent, but a bounce failed the row meanwhile: it stays failed", "size", len(mail.raw))
		case errors.Is(err, store.ErrNotClaimed):
			log.Warn("sent, but the row's lease ran out and another gateway claimed it: left to that gateway", "size", len(mail.raw))
		case err != nil:
			log.Error("sent, but could not mark it sent: it may be sent again", "err", err)
			recorded = false
		default:
			log.Info("sent", "size", len(mail.raw), "attempt", row.Attempts+1)
		}
	case OutcomeFailed:
		log.Warn("delivery failed for good", "err", err, "attempts", row.Attempts+1)
		switch err := w.fail(rec, row, err.Error()); {
		case errors.Is(err, store.ErrNotQueued):
			log.Info("not failed: a bounce failed the row meanwhile")
		case errors.Is(err, store.ErrNotClaimed):
			log.Warn("not failed: the row's lease ran out and another gateway claimed it: left to that gateway")
		case err != nil:
			log.Error("recording the failure", "err", err)
			recorded = false
		}
	default:
		next := w.now().Add(backoff(row.Attempts))
		log.Info("delivery deferred", "err", err, "attempt", row.Attempts+1, "next", next.Format(time.RFC3339))
		switch err := w.store.MarkRetry(rec, row.ID, w.gateway, next, err.Error()); {
		case errors.Is(err, store.ErrNotQueued):
			log.Info("not retried: a bounce failed the row meanwhile")
		case errors.Is(err, store.ErrNotClaimed):
			log.Warn("not retried: the row's lease ran out and another gateway claimed it: left to that gateway")
		case err != nil:
			log.Error("recording the retry", "err", err)
			recorded = false
		}
	}
	w.onDelivery(d)
	return recorded
}

// outcome says what an attempt's error makes of the row: sent, failed for
// good (a permanent refusal, or a temporary one past MaxAge), or deferred.
func (w *Worker) outcome(row store.OutboxRow, err error) string {
	switch {
	case err == nil:
		return OutcomeSent
	case Permanent(err) || w.now().Sub(row.CreatedAt) > w.maxAge:
		return OutcomeFailed
	}
	return OutcomeDeferred
}

// backoff is 1 minute after the first failure, doubling to at most an hour.
func backoff(attempts int) time.Duration {
	d := time.Minute
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// fail marks a row failed, records it on its ticket and tells the ticket's
// team (outbox.Queue.TellFailure, which tells nobody of a failed notice),
// all in one transaction.
func (w *Worker) fail(ctx context.Context, row store.OutboxRow, reason string) error {
	prop, err := w.store.PropertyByID(ctx, row.PropertyID)
	if err != nil {
		return err
	}
	return w.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.FailClaimedOutbox(row.ID, w.gateway, reason); err != nil {
			return err
		}
		if row.TicketID == 0 {
			return nil
		}
		if err := tx.AddEvent(row.TicketID, "delivery-failed", row.Rcpt, reason); err != nil {
			return err
		}
		q := outbox.Queue{Keys: w.keys, Tx: tx, Prop: prop}
		return q.TellFailure(row, "Delivery failed: "+row.Rcpt, "Mail to "+row.Rcpt+" could not be delivered:\n\n"+reason)
	})
}
