package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestMetrics: through the real binary, mail sent over SMTP moves the
// metrics scraped from /metrics: the sessions, the 250 to DATA and the
// 550 to a refused recipient, the group commits, held mail, an ack the
// relay defers (the outbox gauges show it deferred, with its age) and then
// takes once the clock passes its retry time (sent, with its latency, and
// the gauges back to zero), and delivery reports, unverified and verified
// (then a suppression).
func TestMetrics(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "now")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	fakeTime(t, clock, start)
	t.Setenv(fakeClockEnv, clock)
	setupAcme(t, data)
	relay := smtptest.Start(t)
	relay.Fail(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	srv := startServer(t, data, "--relay", relay.URL())
	base := srv.apiURL(t)

	before := scrape(t, base)
	for _, name := range []string{"postdesk_smtp_sessions_total", "go_goroutines", "process_open_fds"} {
		if _, ok := before[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if err := send(srv.addr, "carol@example.com", []string{"nobody@acme.test"}, []byte("Subject: lost\r\n\r\nx\r\n")); err == nil ||
		!strings.Contains(err.Error(), "550") {
		t.Fatalf("to an unknown address: %v, want 550", err)
	}
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: printer\r\nMessage-ID: <m1@example.com>\r\n\r\nIt jams.\r\n")
	// Mail from a member's address without her reply token is held.
	mustSend(t, srv.addr, "alice@acme.test", []string{"support@acme.test"},
		"From: Alice <alice@acme.test>\r\nTo: support@acme.test\r\nSubject: hello\r\nMessage-ID: <m2@example.com>\r\n\r\nhi\r\n")
	// A delivery report to the support address is recorded, unverified.
	mustSend(t, srv.addr, "", []string{"support@acme.test"}, string(dsnReport("carol@example.com", "failed", "5.1.1", "<x@example.com>")))

	// The ack, Alice's copy and the notices of the held mail are all
	// deferred by the relay.
	deferred := waitMetrics(t, base, "the ack deferred", func(m metricSet) bool {
		return m[`postdesk_deliveries_total{kind="ack",outcome="deferred"}`] == 1 && m[`postdesk_outbox_rows{state="due"}`] == 0 &&
			m[`postdesk_outbox_rows{state="deferred"}`] == m.sum(`postdesk_deliveries_total{`, `outcome="deferred"}`)
	})
	for _, c := range []struct {
		name string
		want float64
	}{
		{"postdesk_smtp_sessions_total", before["postdesk_smtp_sessions_total"] + 4},
		{`postdesk_smtp_replies_total{code="250",command="DATA"}`, 3},
		{`postdesk_smtp_replies_total{code="550",command="RCPT"}`, 1},
		{`postdesk_smtp_replies_total{code="250",command="MAIL"}`, 4},
		{`postdesk_bounces_total{kind="dsn",verified="false"}`, 1},
		{`postdesk_held_total{reason="mail from a member's address without that member's reply token"}`, 1},
		{"postdesk_held_waiting", 1},
		{`postdesk_outbox_rows{state="due"}`, 0},
		{`postdesk_outbox_rows{state="failed"}`, 0},
		{"postdesk_suppressions", 0},
	} {
		if got, ok := deferred[c.name]; !ok || got != c.want {
			t.Errorf("%s = %v (present %v), want %v", c.name, got, ok, c.want)
		}
	}
	if n := deferred["postdesk_store_commit_batch_jobs_count"]; n <= before["postdesk_store_commit_batch_jobs_count"] {
		t.Errorf("group commits: %v before the mail, %v after", before["postdesk_store_commit_batch_jobs_count"], n)
	}
	if deferred[`postdesk_store_commit_batch_jobs_bucket{le="128"}`] != deferred["postdesk_store_commit_batch_jobs_count"] {
		t.Errorf("a group commit of more than 128 jobs: %v", deferred)
	}
	if age := deferred["postdesk_outbox_oldest_queued_seconds"]; age <= 0 || age > 60 {
		t.Errorf("the deferred ack is %vs old, want a few seconds", age)
	}

	relay.Fail(nil)
	fakeTime(t, clock, start.Add(5*time.Minute)) // past the retry (1 minute)
	sent := waitMetrics(t, base, "the mail sent", func(m metricSet) bool {
		return m[`postdesk_deliveries_total{kind="ack",outcome="sent"}`] == 1 &&
			m[`postdesk_outbox_rows{state="deferred"}`] == 0 && m[`postdesk_outbox_rows{state="due"}`] == 0
	})
	n := sent.sum(`postdesk_deliveries_total{`, `outcome="sent"}`)
	if got := sent["postdesk_delivery_latency_seconds_count"]; got != n {
		t.Errorf("delivery latency observed %v times for %v mails sent", got, n)
	}
	if l := sent["postdesk_delivery_latency_seconds_sum"] / n; l < 4*60 || l > 6*60 {
		t.Errorf("mail waited %vs on average by the gateway's clock, want about 300", l)
	}
	if age := sent["postdesk_outbox_oldest_queued_seconds"]; age != 0 {
		t.Errorf("nothing queued, yet the oldest queued row is %vs old", age)
	}
	acks := relay.To("carol@example.com")
	if len(acks) != 1 {
		t.Fatalf("the relay got %d mails for carol", len(acks))
	}
	// A report at the ack's signed bounce address that it failed for good
	// is verified, and suppresses carol.
	mustSend(t, srv.addr, "", []string{acks[0].From}, string(dsnReport("carol@example.com", "failed", "5.1.1", acks[0].Header("Message-Id"))))
	waitMetrics(t, base, "the verified bounce", func(m metricSet) bool {
		return m[`postdesk_bounces_total{kind="dsn",verified="true"}`] == 1 && m["postdesk_suppressions"] == 1
	})
}

// metricSet is a scrape: each sample by its name and labels, as printed
// in the text format (name{label="value",...}).
type metricSet map[string]float64

// scrape reads /metrics.
func scrape(t *testing.T, base string) metricSet {
	t.Helper()
	resp := apiClient{t: t, base: base}.do("GET", "/metrics", nil)
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s\n%s", resp.Status, resp.Header.Get("Content-Type"), resp.Body)
	}
	m := metricSet{}
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics: a line that does not read: %q", line)
		}
		m[line[:i]] = v
	}
	return m
}

// waitMetrics scrapes until ok holds, for at most 20 seconds.
func waitMetrics(t *testing.T, base, what string, ok func(metricSet) bool) metricSet {
	t.Helper()
	var m metricSet
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m = scrape(t, base); ok(m) {
			return m
		}
	}
	t.Fatalf("waiting for %s: /metrics says\n%s", what, m.postdesk())
	return nil
}

// sum adds the samples whose key begins with prefix and ends with suffix.
func (m metricSet) sum(prefix, suffix string) float64 {
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) {
			n += v
		}
	}
	return n
}

// postdesk lists the set's postdesk_ samples, for a failure's message.
func (m metricSet) postdesk() string {
	var b strings.Builder
	for k, v := range m {
		if strings.HasPrefix(k, "postdesk_") && !strings.Contains(k, "_bucket") {
			fmt.Fprintf(&b, "%s %v\n", k, v)
		}
	}
	return b.String()
}
