package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// hookReceiver is a webhook endpoint for the tests: it checks every
// request's signature as the Standard Webhooks specification tells a
// receiver to (written here, apart from package hook), and answers
// status (200 unless set).
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	status int
	got    []hookRequest
}

// hookRequest is one request taken: its headers and event.
type hookRequest struct {
	ID        string `json:"-"` // the webhook-id header
	Timestamp string `json:"-"` // the webhook-timestamp header
	Type      string
	Data      struct {
		Property string
		Ticket   struct{ Number int64 }
		Message  *struct{ Kind string }
	}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
		if !standardWebhookValid(r.secret, id, ts, body, req.Header.Get("webhook-signature")) {
			r.t.Errorf("webhook %s: signature %q does not verify", id, req.Header.Get("webhook-signature"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hr := hookRequest{ID: id, Timestamp: ts}
		if err := json.Unmarshal(body, &hr); err != nil {
			r.t.Errorf("webhook %s: %v\n%s", id, err, body)
		}
		r.got = append(r.got, hr)
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// standardWebhookValid verifies a signature: HMAC-SHA256 keyed with the
// base64 part of the whsec_ secret over "id.timestamp.body", compared with
// each space-separated "v1,BASE64" of the header.
func standardWebhookValid(secret, id, ts string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) < 24 || id == "" || ts == "" {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	for _, sig := range strings.Fields(header) {
		if b, ok := strings.CutPrefix(sig, "v1,"); ok {
			if got, err := base64.StdEncoding.DecodeString(b); err == nil && hmac.Equal(got, mac.Sum(nil)) {
				return true
			}
		}
	}
	return false
}

// requests returns what the receiver took so far.
func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

// waitFor waits until the receiver took n requests and returns them.
func (r *hookReceiver) waitFor(n int) []hookRequest {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(r.requests()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := r.requests()
	if len(got) < n {
		r.t.Fatalf("the receiver took %d requests, want %d", len(got), n)
	}
	return got
}

// addHook adds a webhook with the CLI and gives its secret to r.
func addHook(t *testing.T, data string, r *hookReceiver, args ...string) int64 {
	t.Helper()
	var out struct {
		ID     int64
		Secret string
	}
	cliJSON(t, data, &out, append([]string{"webhook", "add", "--url", r.srv.URL + "/postdesk", "--as", "boss@acme.test"}, args...)...)
	if !strings.HasPrefix(out.Secret, "whsec_") {
		t.Fatalf("webhook add: secret %q", out.Secret)
	}
	r.mu.Lock()
	r.secret = out.Secret
	r.mu.Unlock()
	return out.ID
}

// TestWebhooksEndToEnd: an admin adds a webhook for two event types; a
// mail in over SMTP reaches the receiver as ticket.created and
// message.created, signed, and nothing of the other types; the delivery
// log shows both; a test event goes through the same path; agents may not
// add webhooks; the audit log records the change.
func TestWebhooksEndToEnd(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--role", "admin")
	r := newHookReceiver(t)
	if _, err := cliErr(data, "webhook", "add", "--url", r.srv.URL, "--as", "alice@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "only admins") {
		t.Errorf("an agent adding a webhook: %v, want refused", err)
	}
	if _, err := cliErr(data, "webhook", "add", "--url", r.srv.URL, "--events", "ticket.exploded", "--as", "boss@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "unknown event type") {
		t.Errorf("an unknown event type: %v, want refused", err)
	}
	id := addHook(t, data, r, "--events", "ticket.created,message.created", "--description", "crm")
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)

	got := r.waitFor(2)
	time.Sleep(1500 * time.Millisecond) // a poll more: the filtered ticket.assigned must not come
	got = r.requests()
	var types []string
	for _, g := range got {
		types = append(types, g.Type)
		if !strings.HasPrefix(g.ID, "evt_") || g.Data.Property != "acme" || g.Data.Ticket.Number != 1 {
			t.Errorf("request %+v", g)
		}
	}
	if strings.Join(types, " ") != "ticket.created message.created" {
		t.Errorf("received %q, want ticket.created then message.created", types)
	}
	if m := got[len(got)-1].Data.Message; m == nil || m.Kind != "email" {
		t.Errorf("message.created carries message %+v", m)
	}

	var log []struct {
		MsgID   string `json:"msg_id"`
		Outcome string
		Status  int
	}
	cliJSON(t, data, &log, "webhook", "deliveries", strconv.FormatInt(id, 10))
	if len(log) != 2 || log[0].Outcome != "delivered" || log[0].Status != 200 || log[0].MsgID != got[1].ID {
		t.Errorf("delivery log %+v", log)
	}
	out := cli(t, data, "webhook", "test", "1", "--as", "boss@acme.test")
	if !strings.Contains(out, "delivered") || len(r.requests()) != 3 || r.requests()[2].Type != "webhook.test" {
		t.Errorf("webhook test printed %q; receiver got %+v", out, r.requests())
	}
	if list := cli(t, data, "webhook", "list"); !strings.Contains(list, "ticket.created,message.created") ||
		strings.Contains(list, r.secret) {
		t.Errorf("webhook list:\n%s", list)
	}
	if audit := cli(t, data, "audit", "list"); !strings.Contains(audit, "webhook added") {
		t.Errorf("audit list:\n%s", audit)
	}
}

// TestWebhookDisabledOnAFakeClock: through the real binary on a fake
// clock, an endpoint that always fails is retried, disabled once its
// deliveries have failed for five days, and the admin gets a notice.
func TestWebhookDisabledOnAFakeClock(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "now")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	fakeTime(t, clock, start)
	t.Setenv(fakeClockEnv, clock)
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--role", "admin")
	r := newHookReceiver(t)
	r.status = http.StatusServiceUnavailable
	addHook(t, data, r, "--events", "ticket.created")

	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	first := r.waitFor(1)[0]
	fakeTime(t, clock, start.Add(24*time.Hour))
	second := r.waitFor(2)[1]
	if second.ID != first.ID || second.Timestamp == first.Timestamp {
		t.Errorf("retry: id %s ts %s; first id %s ts %s: want the same id, a new timestamp", second.ID, second.Timestamp,
			first.ID, first.Timestamp)
	}
	fakeTime(t, clock, start.Add(5*24*time.Hour+time.Hour))
	got := waitNotices(t, relay, "boss@acme.test", "Webhook disabled", 1)
	if len(got) != 1 {
		t.Fatalf("notices to the admin: %q, want one", got)
	}
	var hooks []struct {
		Enabled        bool
		DisabledReason string `json:"disabled_reason"`
	}
	cliJSON(t, data, &hooks, "webhook", "list")
	if len(hooks) != 1 || hooks[0].Enabled || !strings.Contains(hooks[0].DisabledReason, "failed since 2026-11-23T09:00") {
		t.Errorf("webhooks after five days: %+v", hooks)
	}
	cli(t, data, "webhook", "enable", "1", "--as", "boss@acme.test")
	cliJSON(t, data, &hooks, "webhook", "list")
	if !hooks[0].Enabled {
		t.Errorf("enable left it disabled: %+v", hooks)
	}
}

// TestWebhookRoutes: the API's webhook routes, for admins only: add (the
// secret shown once), list (without it), test, the delivery log in
// cursor pages, remove.
func TestWebhookRoutes(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--role", "admin")
	srv := startServer(t, data)
	boss := apiClient{t: t, base: srv.apiURL(t), token: newToken(t, data, "boss@acme.test")}
	alice := apiClient{t: t, base: boss.base, token: newToken(t, data, "alice@acme.test")}
	r := newHookReceiver(t)
	const hooks = "/api/properties/acme/webhooks"

	alice.json("POST", hooks, map[string]any{"url": r.srv.URL}, http.StatusForbidden, nil)
	alice.json("GET", hooks, nil, http.StatusForbidden, nil)
	boss.json("POST", hooks, map[string]any{"url": "ftp://x.test/"}, http.StatusUnprocessableEntity, nil)
	var created struct {
		ID     int64
		Secret string
		Events []string
	}
	resp := boss.json("POST", hooks, map[string]any{"url": r.srv.URL, "events": []string{"ticket.closed"}}, http.StatusCreated, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Events) != 1 || resp.Header.Get("Location") == "" {
		t.Fatalf("created %+v, Location %q", created, resp.Header.Get("Location"))
	}
	r.mu.Lock()
	r.secret = created.Secret
	r.mu.Unlock()
	list := boss.do("GET", hooks, nil)
	if list.Status != http.StatusOK || strings.Contains(string(list.Body), created.Secret) || !strings.Contains(string(list.Body), r.srv.URL) {
		t.Errorf("list: %d %s", list.Status, list.Body)
	}
	one := hooks + "/" + strconv.FormatInt(created.ID, 10)
	for range 3 {
		var a struct{ Outcome string }
		boss.json("POST", one+"/test", nil, http.StatusOK, &a)
		if a.Outcome != "delivered" {
			t.Errorf("test: %+v", a)
		}
	}
	var page struct {
		Items []struct{ ID int64 }
		Next  string
	}
	boss.json("GET", one+"/deliveries?limit=2", nil, http.StatusOK, &page)
	if len(page.Items) != 2 || page.Next == "" {
		t.Fatalf("first page %+v", page)
	}
	firstIDs := []int64{page.Items[0].ID, page.Items[1].ID}
	next := page.Next
	page.Items, page.Next = nil, ""
	boss.json("GET", one+"/deliveries?limit=2&cursor="+next, nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Next != "" || page.Items[0].ID >= firstIDs[1] {
		t.Errorf("second page %+v after %v", page, firstIDs)
	}
	boss.json("DELETE", one, nil, http.StatusNoContent, nil)
	boss.json("GET", one+"/deliveries", nil, http.StatusNotFound, nil)
	boss.json("DELETE", one, nil, http.StatusNotFound, nil)
}
