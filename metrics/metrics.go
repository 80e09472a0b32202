// Package metrics holds postdesk's Prometheus metrics: the collectors, in a
// registry of their own (two gateways in one process keep two), and the
// /metrics handler that serves them in the text exposition format.
//
// The packages it measures do not import Prometheus: each declares the
// small observer or callback it needs (smtpd.Observer, ingest.Observer,
// notify.Options.OnDelivery, store.Options.OnBatch,
// desk.SchedulerOptions.OnLag, the webhook sender's OnResult), and
// cmd/postdesk connects a Metrics to them. What is a fact of the database
// (the outbox's depth and age, held mail, suppressions) is read from the
// store when scraped (gauges.go). Names follow the Prometheus conventions:
// counters end in _total, durations are _seconds histograms.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/postdesk/postdesk/store"
)

// Options configures Metrics.
type Options struct {
	// Gauges reads the database's gauges (store.Store.ReadGauges); nil:
	// they are not reported.
	Gauges func(ctx context.Context, now time.Time) (store.Gauges, error)
	// CacheFor is how long gauges read from the database are served
	// again before being read anew, so that a storm of scrapes cannot
	// load the database [2s].
	CacheFor time.Duration
	// Now is the gateway's clock, against which ages are measured; nil:
	// time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Metrics is the gateway's collectors and their registry. Its methods are
// safe for concurrent use and never block.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	smtpSessions    prometheus.Counter
	smtpReplies     *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	deliveryLatency prometheus.Histogram
	deliveryAttempt prometheus.Histogram
	held            *prometheus.CounterVec
	bounces         *prometheus.CounterVec
	commitBatch     prometheus.Histogram
	commitSeconds   prometheus.Histogram
	schedulerLag    *prometheus.HistogramVec
	webhooks        *prometheus.CounterVec
	webhookSeconds  prometheus.Histogram
}

// Buckets of the histograms. Deliveries wait from milliseconds (a relay
// at hand) to days (retries with backoff, RFC 5321 §4.5.4.1); a group
// commit holds 1 to 128 transactions (store.Options.MaxBatch) and takes
// about a millisecond per fsync; the scheduler runs every second.
var (
	latencyBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}
	attemptBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	batchBuckets   = prometheus.ExponentialBuckets(1, 2, 8) // 1 to 128
	commitBuckets  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	lagBuckets     = []float64{.1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600}
)

// New returns Metrics with every collector registered in a new registry,
// with the Go runtime's and the process's collectors.
func New(o Options) *Metrics {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheFor <= 0 {
		o.CacheFor = 2 * time.Second
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: o.Logger}
	f := factory{m.reg}
	m.smtpSessions = f.counter("postdesk_smtp_sessions_total", "SMTP sessions begun (connections past the connection limits).")
	m.smtpReplies = f.counterVec("postdesk_smtp_replies_total", "Replies to MAIL, RCPT and DATA by command and code: 250 accepted, 4xx deferred, 5xx refused.", "command", "code")
	m.deliveries = f.counterVec("postdesk_deliveries_total", "Attempts to deliver outbound mail by kind (ack, copy, reply, notice) and outcome: sent, deferred (retried later) or failed (for good).", "kind", "outcome")
	m.deliveryLatency = f.histogram("postdesk_delivery_latency_seconds", "Time from queueing outbound mail to handing it to the relay, for mail sent.", latencyBuckets)
	m.deliveryAttempt = f.histogram("postdesk_delivery_attempt_seconds", "Time one delivery attempt took, rendering and the relay's answer included.", attemptBuckets)
	m.held = f.counterVec("postdesk_held_total", "Inbound mail held (accepted, not posted) by reason.", "reason")
	m.bounces = f.counterVec("postdesk_bounces_total", "Delivery reports and complaints received by kind (dsn, arf, mdn, other) and whether they were verified to concern mail of ours.", "kind", "verified")
	m.commitBatch = f.histogram("postdesk_store_commit_batch_jobs", "Transactions committed together by one group commit of the store's writer.", batchBuckets)
	m.commitSeconds = f.histogram("postdesk_store_commit_seconds", "Time one group commit took, fsync included.", commitBuckets)
	m.schedulerLag = f.histogramVec("postdesk_scheduler_lag_seconds", "Time from the moment scheduled work fell due to when the scheduler did it, by work: wake (a snoozed ticket), clock (an SLA warning or due time).", lagBuckets, "work")
	m.webhooks = f.counterVec("postdesk_webhook_deliveries_total", "Webhook delivery attempts by outcome.", "outcome")
	m.webhookSeconds = f.histogram("postdesk_webhook_delivery_seconds", "Time one webhook delivery attempt took.", attemptBuckets)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if o.Gauges != nil {
		m.reg.MustRegister(newGauges(o))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format. A collector
// that fails (the database did not answer) is left out of the answer and
// logged; the rest are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      errorLog{m.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // counts the handler's own errors
	})
}

// Registry is the registry the collectors are in, for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SessionStarted counts an SMTP session (smtpd.Observer).
func (m *Metrics) SessionStarted() { m.smtpSessions.Inc() }

// Replied counts a reply to an SMTP command (smtpd.Observer).
func (m *Metrics) Replied(command string, code int) {
	m.smtpReplies.WithLabelValues(command, strconv.Itoa(code)).Inc()
}

// Held counts held mail (ingest.Observer).
func (m *Metrics) Held(reason string) { m.held.WithLabelValues(reason).Inc() }

// Bounce counts a bounce (ingest.Observer).
func (m *Metrics) Bounce(kind string, verified bool) {
	m.bounces.WithLabelValues(kind, strconv.FormatBool(verified)).Inc()
}

// Delivery counts an outbound delivery attempt of a kind with its outcome;
// latency (queued to sent) is observed for mail sent only.
func (m *Metrics) Delivery(kind, outcome string, latency, took time.Duration) {
	m.deliveries.WithLabelValues(kind, outcome).Inc()
	m.deliveryAttempt.Observe(took.Seconds())
	if outcome == "sent" {
		m.deliveryLatency.Observe(latency.Seconds())
	}
}

// Commit observes one group commit of the store (store.Options.OnBatch).
func (m *Metrics) Commit(jobs int, took time.Duration) {
	m.commitBatch.Observe(float64(jobs))
	m.commitSeconds.Observe(took.Seconds())
}

// SchedulerLag observes how late the scheduler did a piece of work
// (desk.SchedulerOptions.OnLag).
func (m *Metrics) SchedulerLag(work string, lag time.Duration) {
	m.schedulerLag.WithLabelValues(work).Observe(lag.Seconds())
}

// WebhookResult counts a webhook delivery attempt with its outcome and
// duration; it is the webhook sender's OnResult.
func (m *Metrics) WebhookResult(outcome string, took time.Duration) {
	m.webhooks.WithLabelValues(outcome).Inc()
	m.webhookSeconds.Observe(took.Seconds())
}

// factory makes collectors and registers them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// errorLog lets promhttp's errors reach slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) { l.log.Warn("metrics: " + fmt.Sprint(v...)) }
