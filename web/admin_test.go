package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// pageFixture is the web inbox over a real store (a SQLite file) with two
// properties, acme and beta, and signed-in browsers of acme's admin, of
// acme's agent and of beta's admin.
type pageFixture struct {
	t                   *testing.T
	st                  *store.Store
	desk                *desk.Desk
	srv                 *httptest.Server
	acme, beta          ticket.Property
	admin, agent, other browser
	heldID, webhookID   int64
}

// browser is a signed-in session: its cookie and its forms' CSRF token.
type browser struct {
	secret, csrf string
}

func newPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	f := &pageFixture{t: t, st: st, desk: desk.New(desk.Options{Store: st, Keys: keys})}
	pipe := ingest.New(ingest.Options{Store: st, Keys: keys, InstanceID: "web-test"})
	f.acme, f.beta = f.property("acme", "support@acme.test"), f.property("beta", "help@beta.test")
	f.member(f.acme, "boss@acme.test", ticket.RoleAdmin)
	f.member(f.acme, "alice@acme.test", ticket.RoleAgent)
	f.member(f.beta, "root@beta.test", ticket.RoleAdmin)
	f.admin, f.agent, f.other = f.session("boss@acme.test"), f.session("alice@acme.test"), f.session("root@beta.test")
	// A customer's mail, and a reply forged in the admin's name (held).
	for _, m := range []struct{ from, raw string }{
		{"carol@customer.test", "From: Carol <carol@customer.test>\r\nTo: support@acme.test\r\nSubject: Invoice\r\nMessage-ID: <inv@customer.test>\r\n\r\nPlease.\r\n"},
		{"boss@acme.test", "From: boss@acme.test\r\nTo: support@acme.test\r\nSubject: Forged <script>alert(1)</script>\r\nMessage-ID: <forged@acme.test>\r\nIn-Reply-To: <inv@customer.test>\r\n\r\n<script>alert(2)</script>\r\n"},
	} {
		if err := pipe.Deliver(ctx, m.from, []string{"support@acme.test"}, []byte(m.raw)); err != nil {
			t.Fatal(err)
		}
	}
	held, err := st.Held(ctx, f.acme.ID, false)
	if err != nil || len(held) != 1 {
		t.Fatalf("held mail: %v %+v", err, held)
	}
	f.heldID = held[0].ID
	wh := store.Webhook{PropertyID: f.acme.ID, URL: "http://127.0.0.1:9/hook", Secret: "whsec_c2VjcmV0", CreatedBy: "test"}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.AddWebhook(&wh) }); err != nil {
		t.Fatal(err)
	}
	f.webhookID = wh.ID
	srv, err := New(Options{Store: st, Desk: f.desk, Held: pipe, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *pageFixture) property(slug, addr string) ticket.Property {
	f.t.Helper()
	p, err := f.st.AddProperty(context.Background(), ticket.Property{Slug: slug, Name: slug, Addresses: []string{addr}}.WithDefaults())
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *pageFixture) member(p ticket.Property, email string, role ticket.Role) {
	f.t.Helper()
	if _, err := f.st.AddMember(context.Background(), p.Slug, ticket.Member{Email: email, Role: role}, "test"); err != nil {
		f.t.Fatal(err)
	}
}

func (f *pageFixture) session(email string) browser {
	f.t.Helper()
	sess, secret, err := f.st.CreateSession(context.Background(), email, time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	return browser{secret: secret, csrf: sess.CSRF}
}

// page is an answer: its status, where it sends the browser, its body.
type page struct {
	status   int
	location string
	body     string
}

// do sends a request as b, a form (with b's CSRF token unless noCSRF)
// when form is not nil, without following redirects.
func (f *pageFixture) do(b browser, method, path string, form url.Values, noCSRF bool) page {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		form = cloneValues(form)
		if !noCSRF {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: b.secret})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(data)}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, l := range v {
		out[k] = append([]string(nil), l...)
	}
	return out
}

// adminForms are the admin area's forms, each with values the desk would
// accept from an admin.
func (f *pageFixture) adminForms() []struct {
	path string
	form url.Values
} {
	id := func(n int64) string { return itoa(n) }
	return []struct {
		path string
		form url.Values
	}{
		{"/p/acme/admin/property", url.Values{"assign_on_answer": {"1"}}},
		{"/p/acme/admin/members", url.Values{"email": {"new@acme.test"}, "role": {"agent"}}},
		{"/p/acme/admin/members/alice@acme.test", url.Values{"role": {"admin"}, "available": {"1"}, "capacity": {"3"}}},
		{"/p/acme/admin/departments", url.Values{"name": {"Billing"}}},
		{"/p/acme/admin/topics", url.Values{"name": {"refunds"}}},
		{"/p/acme/admin/sla", url.Values{"first-response": {"high=1h"}, "resolution": {"high=8h"}}},
		{"/p/acme/admin/fields", url.Values{"name": {"plan"}, "for": {"contact"}, "type": {"text"}}},
		{"/p/acme/admin/webhooks", url.Values{"url": {"https://example.com/hook"}}},
		{"/p/acme/admin/webhooks/" + id(f.webhookID) + "/disable", url.Values{}},
		{"/p/acme/admin/webhooks/" + id(f.webhookID) + "/enable", url.Values{}},
		{"/p/acme/admin/webhooks/" + id(f.webhookID) + "/remove", url.Values{}},
		{"/p/acme/admin/held/" + id(f.heldID) + "/release", url.Values{}},
		{"/p/acme/admin/suppressions/clear", url.Values{"address": {"gone@customer.test"}}},
	}
}

// TestAdminFormsRefuseAgents: an agent's POST to each admin form is
// refused by the desk with 403 and changes nothing; without the CSRF
// token even the admin's is refused; each admin page is an admin's only.
func TestAdminFormsRefuseAgents(t *testing.T) {
	f := newPageFixture(t)
	for _, tt := range f.adminForms() {
		if got := f.do(f.agent, "POST", tt.path, tt.form, false); got.status != http.StatusForbidden {
			t.Errorf("agent POST %s = %d %s, want 403", tt.path, got.status, got.location)
		}
		if got := f.do(f.admin, "POST", tt.path, tt.form, true); got.status != http.StatusForbidden {
			t.Errorf("admin POST %s without the CSRF token = %d, want 403", tt.path, got.status)
		}
	}
	ms, err := f.st.Members(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Email == "new@acme.test" || (m.Email == "alice@acme.test" && m.Role != ticket.RoleAgent) {
			t.Errorf("a refused form changed the team: %+v", m)
		}
	}
	for _, p := range []string{"", "members", "departments", "sla", "topics", "fields", "replies", "webhooks", "webhooks/" + itoa(f.webhookID),
		"mailboxes", "held", "held/" + itoa(f.heldID), "suppressions"} {
		path := "/p/acme/admin/" + p
		if got := f.do(f.agent, "GET", path, nil, false); got.status != http.StatusForbidden {
			t.Errorf("agent GET %s = %d, want 403", path, got.status)
		}
		if got := f.do(f.admin, "GET", path, nil, false); got.status != http.StatusOK {
			t.Errorf("admin GET %s = %d, want 200: %.300s", path, got.status, got.body)
		}
		if got := f.do(f.other, "GET", path, nil, false); got.status != http.StatusNotFound {
			t.Errorf("beta's admin GET %s = %d, want 404", path, got.status)
		}
	}
	// Only admins see the link to the admin pages.
	if b := f.do(f.agent, "GET", "/p/acme/", nil, false).body; strings.Contains(b, "/admin/") {
		t.Errorf("the agent's inbox links to the admin pages")
	}
	if b := f.do(f.admin, "GET", "/p/acme/", nil, false).body; !strings.Contains(b, `href="/p/acme/admin/"`) {
		t.Errorf("the admin's inbox has no link to the admin pages")
	}
}

// TestAdminFormsAsAdmin: each admin form, posted by the admin with its
// token, is done by the desk and sends the browser on (POST-redirect-GET),
// except a new webhook's, whose answer shows the secret once.
func TestAdminFormsAsAdmin(t *testing.T) {
	f := newPageFixture(t)
	for _, tt := range f.adminForms() {
		got := f.do(f.admin, "POST", tt.path, tt.form, false)
		switch {
		case strings.HasSuffix(tt.path, "/webhooks"):
			if got.status != http.StatusCreated || !strings.Contains(got.body, "whsec_") {
				t.Errorf("admin POST %s = %d, want 201 with the secret", tt.path, got.status)
			}
		case strings.HasSuffix(tt.path, "/release"):
			// The forged mail is held again: a release runs it through
			// the rules, and the rule that held it lets it pass.
			if got.status != http.StatusSeeOther && got.status != http.StatusConflict {
				t.Errorf("admin POST %s = %d %.300s, want 303 or 409", tt.path, got.status, got.body)
			}
		case strings.HasSuffix(tt.path, "/enable"), strings.HasSuffix(tt.path, "/suppressions/clear"):
			// enabling an enabled endpoint, clearing an address never
			// suppressed: the desk's words, not a failure of ours.
			if got.status >= 500 {
				t.Errorf("admin POST %s = %d", tt.path, got.status)
			}
		default:
			if got.status != http.StatusSeeOther {
				t.Errorf("admin POST %s = %d %.300s, want 303", tt.path, got.status, got.body)
			}
		}
		if strings.HasSuffix(tt.path, "/disable") {
			if w, err := f.st.Webhook(context.Background(), f.acme.ID, f.webhookID); err != nil || w.Enabled {
				t.Errorf("after disable the endpoint is %+v, %v", w, err)
			}
		}
	}
	topics := f.do(f.admin, "GET", "/p/acme/admin/topics", nil, false)
	if !strings.Contains(topics.body, "refunds") {
		t.Errorf("the topics page does not list the topic added")
	}
	if b := f.do(f.admin, "GET", "/p/acme/admin/sla", nil, false).body; !strings.Contains(b, `value="high=1h"`) {
		t.Errorf("the SLA page does not show the policy set in its words")
	}
	bad := f.do(f.admin, "POST", "/p/acme/admin/sla", url.Values{"first-response": {"high=soon"}, "hours": {"mon-fri 09:00-17:00"}}, false)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "not a duration") || !strings.Contains(bad.body, "--time-zone") {
		t.Errorf("a bad policy = %d, want 422 naming both problems: %.600s", bad.status, bad.body)
	}
	// The contact field defined above is set on a contact's page.
	const carol = "/p/acme/contacts/carol@customer.test"
	if got := f.do(f.agent, "POST", carol+"/field", url.Values{"name": {"plan"}, "value": {"gold"}}, false); got.status != http.StatusSeeOther {
		t.Errorf("setting a contact field = %d %.300s", got.status, got.body)
	}
	if b := f.do(f.agent, "GET", carol, nil, false).body; !strings.Contains(b, `value="gold"`) {
		t.Errorf("the contact page does not show the field's value")
	}
	// The desk's refusal, in its words: a topic twice.
	dup := f.do(f.admin, "POST", "/p/acme/admin/topics", url.Values{"name": {"refunds"}}, false)
	if dup.status < 400 || dup.status >= 500 || !strings.Contains(dup.body, "refunds") {
		t.Errorf("a topic added twice = %d %.300s, want the desk's refusal", dup.status, dup.body)
	}
}

// TestHeldMailShownAsText: a held mail's bytes are shown escaped, never
// as markup.
func TestHeldMailShownAsText(t *testing.T) {
	f := newPageFixture(t)
	got := f.do(f.admin, "GET", "/p/acme/admin/held/"+itoa(f.heldID), nil, false)
	if got.status != http.StatusOK {
		t.Fatalf("held mail page = %d", got.status)
	}
	if strings.Contains(got.body, "<script>alert") || !strings.Contains(got.body, "&lt;script&gt;alert(2)") {
		t.Errorf("the held mail's body is not shown as text:\n%s", got.body)
	}
}

// TestContactPageScoped: a contact is found in its own property only; a
// member of another property gets 404, and its forms are refused too.
func TestContactPageScoped(t *testing.T) {
	f := newPageFixture(t)
	const path = "/p/acme/contacts/carol@customer.test"
	got := f.do(f.agent, "GET", path, nil, false)
	if got.status != http.StatusOK || !strings.Contains(got.body, "Invoice") {
		t.Fatalf("agent GET %s = %d, want 200 with the ticket in the timeline", path, got.status)
	}
	if got := f.do(f.other, "GET", path, nil, false); got.status != http.StatusNotFound {
		t.Errorf("beta's admin GET %s = %d, want 404", path, got.status)
	}
	if got := f.do(f.other, "GET", "/p/beta/contacts/carol@customer.test", nil, false); got.status != http.StatusNotFound {
		t.Errorf("beta's admin GET carol in beta = %d, want 404", got.status)
	}
	if got := f.do(f.other, "POST", path+"/note", url.Values{"text": {"hi"}}, false); got.status != http.StatusNotFound {
		t.Errorf("beta's admin POST a note on acme's contact = %d, want 404", got.status)
	}
	if got := f.do(f.agent, "POST", path+"/note", url.Values{"text": {"called back"}}, true); got.status != http.StatusForbidden {
		t.Errorf("a note without the CSRF token = %d, want 403", got.status)
	}
	if got := f.do(f.agent, "POST", path+"/note", url.Values{"text": {"called back"}}, false); got.status != http.StatusSeeOther {
		t.Errorf("a note = %d, want 303", got.status)
	}
	if got := f.do(f.agent, "POST", path+"/edit", url.Values{"name": {"Carol C"}, "phone": {"+1 555 0100"}}, false); got.status != http.StatusSeeOther {
		t.Errorf("an edit = %d %.300s, want 303", got.status, got.body)
	}
	if got := f.do(f.agent, "POST", path+"/edit", url.Values{"name": {"Carol"}, "phone": {"call me"}}, false); got.status != http.StatusUnprocessableEntity {
		t.Errorf("a phone of words = %d, want 422 (the desk's refusal)", got.status)
	}
	got = f.do(f.agent, "GET", path, nil, false)
	if !strings.Contains(got.body, "called back") || !strings.Contains(got.body, "Carol C") {
		t.Errorf("the contact page lacks the note or the new name")
	}
}

// TestComposeCSRF: compose refuses a form without the token and opens a
// ticket with it.
func TestComposeCSRF(t *testing.T) {
	f := newPageFixture(t)
	form := url.Values{"who": {"new"}, "email": {"dan@customer.test"}, "name": {"Dan"}, "subject": {"Your order"}, "text": {"It shipped."}, "no_mail": {"1"}}
	if got := f.do(f.agent, "POST", "/p/acme/compose", form, true); got.status != http.StatusForbidden {
		t.Errorf("compose without the CSRF token = %d, want 403", got.status)
	}
	got := f.do(f.agent, "POST", "/p/acme/compose", form, false)
	if got.status != http.StatusSeeOther || got.location != "/p/acme/tickets/2" {
		t.Fatalf("compose = %d %q %.300s, want 303 to ticket 2", got.status, got.location, got.body)
	}
	if got := f.do(f.agent, "GET", "/p/acme/compose", nil, false); got.status != http.StatusOK {
		t.Errorf("compose form = %d", got.status)
	}
}

// testLog writes the server's log to the test's.
type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
