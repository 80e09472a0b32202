package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postdesk/postdesk/store"
)

// gaugeTimeout bounds one read of the database's gauges: a scrape must not
// wait for a busy database longer than a scraper waits for it.
const gaugeTimeout = 5 * time.Second

// gauges is a collector of facts of the database, read at scrape time and
// kept for a moment (Options.CacheFor), failures included: many scrapes at
// once cost one read.
type gauges struct {
	read     func(ctx context.Context, now time.Time) (store.Gauges, error)
	now      func() time.Time
	cacheFor time.Duration

	outbox, oldest, held, suppressions, hooks *prometheus.Desc

	mu     sync.Mutex
	readAt time.Time // real time of the last read
	last   store.Gauges
	err    error
}

func newGauges(o Options) *gauges {
	return &gauges{read: o.Gauges, now: o.Now, cacheFor: o.CacheFor,
		outbox: prometheus.NewDesc("postdesk_outbox_rows",
			"Outbound mail by state: due (queued, to be sent now), deferred (queued, to be retried later), failed (for good).", []string{"state"}, nil),
		oldest: prometheus.NewDesc("postdesk_outbox_oldest_queued_seconds",
			"Age of the oldest outbound mail still queued; 0 when none is.", nil, nil),
		held: prometheus.NewDesc("postdesk_held_waiting",
			"Held mail waiting to be released or discarded.", nil, nil),
		suppressions: prometheus.NewDesc("postdesk_suppressions",
			"Addresses no mail is sent to, after a permanent failure.", nil, nil),
		hooks: prometheus.NewDesc("postdesk_webhook_deliveries_queued",
			"Webhook deliveries waiting to be sent.", nil, nil),
	}
}

// Describe sends the descriptions of the gauges.
func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.outbox, g.oldest, g.held, g.suppressions, g.hooks} {
		ch <- d
	}
}

// Collect sends the gauges, read anew when the last read is older than
// cacheFor. When the read failed, each gauge is an invalid metric carrying
// the error: the handler leaves them out and logs it.
func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	v, err := g.get()
	if err != nil {
		for _, d := range []*prometheus.Desc{g.outbox, g.oldest, g.held, g.suppressions, g.hooks} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(g.outbox, float64(v.OutboxDue), "due")
	gauge(g.outbox, float64(v.OutboxDeferred), "deferred")
	gauge(g.outbox, float64(v.OutboxFailed), "failed")
	gauge(g.oldest, v.OldestQueued.Seconds())
	gauge(g.held, float64(v.HeldWaiting))
	gauge(g.suppressions, float64(v.Suppressions))
	gauge(g.hooks, float64(v.HooksQueued))
}

// get returns the cached gauges, or reads them. Scrapes that arrive while
// one reads wait for its answer.
func (g *gauges) get() (store.Gauges, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.readAt.IsZero() && time.Since(g.readAt) < g.cacheFor {
		return g.last, g.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	g.last, g.err = g.read(ctx, g.now())
	g.readAt = time.Now()
	return g.last, g.err
}
