package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// get scrapes h and returns the body.
func get(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, b)
	}
	return string(b)
}

// TestGaugesCached: a storm of scrapes reads the database once while the
// cache holds, and again after it expires.
func TestGaugesCached(t *testing.T) {
	var reads atomic.Int32
	m := New(Options{CacheFor: 200 * time.Millisecond, Gauges: func(context.Context, time.Time) (store.Gauges, error) {
		reads.Add(1)
		time.Sleep(20 * time.Millisecond) // a read takes a while: scrapes meanwhile wait for it
		return store.Gauges{OutboxDue: 3, OldestQueued: 90 * time.Second}, nil
	}})
	h := m.Handler()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if body := get(t, h); !strings.Contains(body, `postdesk_outbox_rows{state="due"} 3`) ||
				!strings.Contains(body, "postdesk_outbox_oldest_queued_seconds 90") {
				t.Errorf("scrape:\n%s", body)
			}
		})
	}
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("20 scrapes at once read the database %d times, want once", n)
	}
	time.Sleep(250 * time.Millisecond)
	get(t, h)
	if n := reads.Load(); n != 2 {
		t.Errorf("after the cache expired: %d reads, want 2", n)
	}
}

// TestGaugesFailing: when the database does not answer, the scrape still
// serves every other metric, and the gauges are left out.
func TestGaugesFailing(t *testing.T) {
	m := New(Options{Gauges: func(context.Context, time.Time) (store.Gauges, error) {
		return store.Gauges{}, errors.New("database is locked")
	}})
	m.SessionStarted()
	body := get(t, m.Handler())
	if !strings.Contains(body, "postdesk_smtp_sessions_total 1") {
		t.Errorf("the counters are missing:\n%s", body)
	}
	if strings.Contains(body, "postdesk_outbox_rows{") {
		t.Errorf("gauges served though the database failed:\n%s", body)
	}
}

// TestSideBySide: two Metrics in one process keep their own counts (no
// global registry), and each counts what it is told under its name.
func TestSideBySide(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	a.Replied("RCPT", 550)
	a.Delivery("ack", "sent", 2*time.Second, time.Millisecond)
	a.Delivery("ack", "deferred", 0, time.Millisecond)
	a.Bounce("dsn", true)
	a.Held("over the limit")
	a.Commit(7, time.Millisecond)
	a.SchedulerLag("wake", 1500*time.Millisecond)
	a.WebhookResult("ok", 30*time.Millisecond)
	got := get(t, a.Handler())
	for _, want := range []string{
		`postdesk_smtp_replies_total{code="550",command="RCPT"} 1`,
		`postdesk_deliveries_total{kind="ack",outcome="sent"} 1`,
		`postdesk_deliveries_total{kind="ack",outcome="deferred"} 1`,
		"postdesk_delivery_latency_seconds_count 1",
		"postdesk_delivery_latency_seconds_sum 2",
		"postdesk_delivery_attempt_seconds_count 2",
		`postdesk_bounces_total{kind="dsn",verified="true"} 1`,
		`postdesk_held_total{reason="over the limit"} 1`,
		`postdesk_store_commit_batch_jobs_bucket{le="4"} 0`,
		`postdesk_store_commit_batch_jobs_bucket{le="8"} 1`,
		`postdesk_scheduler_lag_seconds_bucket{work="wake",le="2"} 1`,
		`postdesk_webhook_deliveries_total{outcome="ok"} 1`,
		"# HELP postdesk_smtp_replies_total Replies to MAIL, RCPT and DATA",
		"# TYPE postdesk_delivery_latency_seconds histogram",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("a's scrape has no %q", want)
		}
	}
	if other := get(t, b.Handler()); strings.Contains(other, "postdesk_smtp_replies_total{") {
		t.Errorf("b counts a's replies:\n%s", other)
	}
}
