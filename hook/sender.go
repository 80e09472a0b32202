package hook

import (
	"bytes"
	"context"
	"encoding/json"

	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// defaultSchedule is the wait after each failed attempt: the Standard
// Webhooks specification's suggested schedule ("Retry schedule":
// immediately, then 5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours,
// 10 hours and 10 hours), after which the delivery fails.
var defaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DefaultSchedule returns the Standard Webhooks retry schedule.
func DefaultSchedule() []time.Duration { return append([]time.Duration(nil), defaultSchedule...) }

// Outcomes of an attempt, as the delivery log and OnResult name them.
const (
	OutcomeDelivered = "delivered" // a 2xx answer
	OutcomeRetry     = "retry"     // failed, tried again later
	OutcomeFailed    = "failed"    // failed, and the schedule is spent
	OutcomeDisabled  = "disabled"  // failed, and the endpoint was disabled
)

// TestType is the type of the event `postdesk webhook test` sends.
const TestType ticket.HookType = "webhook.test"

// Options configures a Sender. Zero values take the defaults given.
type Options struct {
	Store *store.Store
	// Client sends the requests; nil: one that follows no redirect (a
	// 3xx is a failure: the endpoint's owner must give its real URL).
	Client *http.Client
	// Timeout bounds one attempt, answer included: 10 s.
	Timeout time.Duration
	// Poll is how often the queue is looked at for deliveries due or
	// queued by another process: 1 s.
	Poll time.Duration
	// Schedule is the wait after each failed attempt: DefaultSchedule.
	Schedule []time.Duration
	// DisableAfter disables an endpoint whose deliveries have failed for
	// this long without a success: 5 days.
	DisableAfter time.Duration
	// Retention is how long events, finished deliveries and the delivery
	// log are kept: 7 days.
	Retention time.Duration
	// Batch is how many deliveries are claimed at once (32), Workers how
	// many are sent at once (4).
	Batch, Workers int
	// Now is the clock (the store's); nil: time.Now.
	Now func() time.Time
	// OnResult, when set, is told each attempt's outcome and duration
	// (for metrics).
	OnResult func(outcome string, took time.Duration)
	// OnQueued, when set, is called after a notice to admins was queued,
	// to wake the digester that sends it.
	OnQueued func()
	Logger   *slog.Logger
}

// lease is how long a claimed delivery is kept from other senders: more
// than an attempt can take.
func (o Options) lease() time.Duration { return 3 * o.Timeout }

// Sender delivers the queued webhook deliveries.
type Sender struct {
	o   Options
	log *slog.Logger
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Schedule == nil {
		o.Schedule = DefaultSchedule()
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 5 * 24 * time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.OnResult == nil {
		o.OnResult = func(string, time.Duration) {}
	}
	if o.OnQueued == nil {
		o.OnQueued = func() {}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{o: o, log: o.Logger}
}

// pruneEvery is how often old events and the delivery log are pruned.
const pruneEvery = time.Hour

// Run sends due deliveries until ctx ends. It wakes when this process
// commits events (store.HookSignal) and polls for the rest: retries that
// come due, and events written by other processes.
func (s *Sender) Run(ctx context.Context) error {
	poll := time.NewTicker(s.o.Poll)
	defer poll.Stop()
	var pruned time.Time
	for {
		if now := s.o.Now(); now.Sub(pruned) >= pruneEvery {
			s.prune(ctx, now)
			pruned = now
		}
		wake := s.o.Store.HookSignal()
		n, err := s.round(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhook deliveries not claimed", "err", err)
		}
		if n == s.o.Batch {
			continue // more are due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		}
	}
}

// prune deletes what is older than the retention.
func (s *Sender) prune(ctx context.Context, now time.Time) {
	p, err := s.o.Store.PruneHooks(ctx, now.Add(-s.o.Retention))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("webhook history not pruned", "err", err)
		}
		return
	}
	if p != (store.Pruned{}) {
		s.log.Info("webhook history pruned", "events", p.Events, "deliveries", p.Deliveries, "attempts", p.Attempts)
	}
}

// round claims the due deliveries and sends them, and returns how many it
// claimed. One endpoint's deliveries are sent one after the other, oldest
// first, so that it sees the events of a round in the order they
// happened; Workers endpoints are served at once.
func (s *Sender) round(ctx context.Context) (int, error) {
	due, err := s.o.Store.ClaimDeliveries(ctx, s.o.lease(), s.o.Batch)
	if err != nil {
		return 0, err
	}
	var order []int64
	byHook := map[int64][]store.DueDelivery{}
	for _, d := range due {
		if _, ok := byHook[d.Webhook.ID]; !ok {
			order = append(order, d.Webhook.ID)
		}
		byHook[d.Webhook.ID] = append(byHook[d.Webhook.ID], d)
	}
	sem := make(chan struct{}, s.o.Workers)
	var wg sync.WaitGroup
	for _, id := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.sendInTurn(ctx, byHook[id])
		}()
	}
	wg.Wait()
	return len(due), nil
}

// sendInTurn sends one endpoint's claimed deliveries, oldest first, and
// stops early, leaving the rest to come due again when their lease runs
// out:
//   - when an attempt would not be over, answer recorded, within its
//     lease: past the lease another sender may claim the delivery, and
//     the two must never send one event at the same time;
//   - after an attempt failed: an endpoint that is down or hangs is tried
//     once a round, not once per delivery, since the round (and so every
//     other endpoint's next events) waits for it;
//   - when the endpoint was disabled (its queued deliveries are failed
//     already), or the sender stops.
func (s *Sender) sendInTurn(ctx context.Context, due []store.DueDelivery) {
	for _, d := range due {
		if s.o.Now().Add(2 * s.o.Timeout).After(d.LeaseUntil) {
			return
		}
		if s.deliver(ctx, d) != OutcomeDelivered || ctx.Err() != nil {
			return
		}
	}
}

// result is what one POST came to.
type result struct {
	status  int
	err     string // empty on success
	started time.Time
	took    time.Duration
}

func (r result) ok() bool { return r.err == "" }

// post sends body to an endpoint, signed, and returns what came of it:
// a 2xx answer is success, anything else (another status, a timeout, a
// refused connection) a failure.
func (s *Sender) post(ctx context.Context, w store.Webhook, msgID string, body []byte) (r result) {
	r = result{started: s.o.Now()}
	begin := time.Now()
	defer func() { r.took = time.Since(begin) }() // on every path
	sig, err := Sign(w.Secret, msgID, r.started, body)
	if err != nil {
		r.err = err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		r.err = err.Error()
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "postdesk-webhooks")
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(r.started.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		r.err = err.Error()
		return r
	}
	// The answer's body is read, up to a limit, so the connection can be
	// used again; its content is not kept.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r.status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.err = "HTTP " + resp.Status
	}
	return r
}

// deliver makes one attempt of a claimed delivery and records it. An
// attempt cut short because the sender stops is not recorded: the lease
// runs out and the delivery is tried again, by this process or another.
// It returns the attempt's outcome ("" when none was recorded).
func (s *Sender) deliver(ctx context.Context, d store.DueDelivery) string {
	msgID := MsgID(d.EventID)
	r := s.post(ctx, d.Webhook, msgID, d.Payload)
	if ctx.Err() != nil {
		return ""
	}
	outcome, err := s.record(d, msgID, r)
	if err != nil {
		s.log.Error("webhook attempt not recorded", "webhook", d.Webhook.ID, "delivery", d.ID, "err", err)
		return ""
	}
	s.o.OnResult(outcome, r.took)
	log := s.log.Info
	if outcome != OutcomeDelivered {
		log = s.log.Warn
	}
	log("webhook attempt", "webhook", d.Webhook.ID, "url", d.Webhook.URL, "event", msgID, "type", d.Type,
		"attempt", d.Attempts+1, "outcome", outcome, "status", r.status, "err", r.err, "ms", r.took.Milliseconds())
	return outcome
}

// record writes the attempt to the delivery log and what follows from it:
// the delivery delivered, retried or failed; the endpoint working again,
// or, when it has failed for DisableAfter or answered 410 Gone, disabled
// with a notice to the property's admins.
func (s *Sender) record(d store.DueDelivery, msgID string, r result) (string, error) {
	outcome, notified := "", false
	err := s.o.Store.Update(context.Background(), func(tx *store.Tx) error {
		outcome, notified = OutcomeDelivered, false
		a := &store.WebhookAttempt{WebhookID: d.Webhook.ID, DeliveryID: d.ID, EventID: d.EventID, MsgID: msgID,
			Type: string(d.Type), Attempt: d.Attempts + 1, Status: r.status, Error: r.err,
			DurationMS: r.took.Milliseconds(), StartedAt: r.started}
		if r.ok() {
			if _, err := tx.DeliverySucceeded(d.ID, d.Webhook.ID, r.status); err != nil {
				return err
			}
		} else {
			var err error
			if outcome, notified, err = s.failed(tx, d, r); err != nil {
				return err
			}
		}
		a.Outcome = outcome
		return tx.RecordAttempt(a)
	})
	if err == nil && notified {
		s.o.OnQueued()
	}
	return outcome, err
}

// failed records a failed attempt of d, and disables its endpoint when
// that is due.
//
// 410 Gone disables at once: the receiver says the resource is gone for
// good (RFC 9110 §15.5.11), so five days of retries would only load both
// sides; the Standard Webhooks specification lets a sender disable an
// endpoint on it. An admin enables it again once it is back.
func (s *Sender) failed(tx *store.Tx, d store.DueDelivery, r result) (string, bool, error) {
	var next time.Time
	outcome := OutcomeFailed
	if d.Attempts < len(s.o.Schedule) {
		next, outcome = tx.Now().Add(s.o.Schedule[d.Attempts]), OutcomeRetry
	}
	since, queued, err := tx.DeliveryFailed(d.ID, d.Webhook.ID, r.status, r.err, next)
	if err != nil {
		return "", false, err
	}
	reason := ""
	switch failing := tx.Now().Sub(since); {
	case !queued:
		return OutcomeFailed, false, nil // its endpoint was disabled meanwhile
	case r.status == http.StatusGone:
		reason = "it answered 410 Gone"
	case failing >= s.o.DisableAfter:
		reason = fmt.Sprintf("its deliveries have failed since %s (%s)", since.UTC().Format(time.RFC3339),
			failing.Round(time.Minute))
	default:
		return outcome, false, nil
	}
	if err := tx.DisableWebhook(d.Webhook.ID, reason); err != nil {
		return "", false, err
	}
	prop, err := s.o.Store.CachedPropertyByID(context.Background(), d.Webhook.PropertyID)
	if err != nil {
		return "", false, err
	}
	body := fmt.Sprintf("The webhook %d (%s) of %s was disabled: %s.\nLast error: %s\n\n"+
		"Nothing more is sent to it. Once it works again, enable it:\n  postdesk webhook enable --property %s %d --as YOU\n",
		d.Webhook.ID, d.Webhook.URL, prop.Slug, reason, r.err, prop.Slug, d.Webhook.ID)
	q := outbox.Queue{Tx: tx, Prop: prop}
	if err := q.TellAdmins(fmt.Sprintf("Webhook disabled: %s", d.Webhook.URL), body); err != nil {
		return "", false, err
	}
	return OutcomeDisabled, true, nil
}

// Test sends a test event to an endpoint, signed like any other, records
// the attempt in its delivery log, and returns it. It changes nothing
// else: the endpoint is not enabled, disabled or deemed working by it.
func (s *Sender) Test(ctx context.Context, w store.Webhook, prop ticket.Property) (store.WebhookAttempt, error) {
	now := s.o.Now().UTC()
	body, err := json.Marshal(ticket.HookEvent{Type: TestType, Timestamp: now, Data: ticket.HookData{Property: prop.Slug}})
	if err != nil {
		return store.WebhookAttempt{}, err
	}
	msgID := fmt.Sprintf("evt_test_%d", now.UnixNano())
	r := s.post(ctx, w, msgID, body)
	if err := ctx.Err(); err != nil {
		return store.WebhookAttempt{}, err
	}
	a := store.WebhookAttempt{WebhookID: w.ID, MsgID: msgID, Type: string(TestType), Attempt: 1, Outcome: OutcomeDelivered,
		Status: r.status, Error: r.err, DurationMS: r.took.Milliseconds(), StartedAt: r.started}
	if !r.ok() {
		a.Outcome = OutcomeFailed
	}
	if err := s.o.Store.Update(ctx, func(tx *store.Tx) error { return tx.RecordAttempt(&a) }); err != nil {
		return a, err
	}
	s.o.OnResult(a.Outcome, r.took)
	return a, nil
}
