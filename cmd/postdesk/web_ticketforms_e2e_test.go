package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webClient is a browser-like HTTP client signed in to the web inbox (a
// cookie jar, no script), for the forms that need no browser.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

var (
	csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	etagInput = regexp.MustCompile(`name="etag" value="([^"]+)"`)
)

// signInHTTP signs in as email with a CLI login link, as a browser
// without script would: GET the link, POST its confirmation form.
func signInHTTP(t *testing.T, srv *server, data, email string) *webClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w := &webClient{t: t, base: srv.apiURL(t), c: &http.Client{Jar: jar}}
	link, err := url.Parse(strings.TrimSpace(cli(t, data, "member", "login-link", email)))
	if err != nil {
		t.Fatal(err)
	}
	status, page := w.get(link.Path)
	m := csrfInput.FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("login link: %d %s", status, page)
	}
	if status, page := w.post(link.Path, url.Values{"csrf": {m[1]}, "next": {"/"}}); status != 200 || !strings.Contains(page, email) {
		t.Fatalf("confirming the login link: %d %s", status, page)
	}
	return w
}

func (w *webClient) get(path string) (int, string) {
	w.t.Helper()
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		w.t.Fatal(err)
	}
	return readPage(w.t, resp)
}

func (w *webClient) post(path string, form url.Values) (int, string) {
	w.t.Helper()
	resp, err := w.c.PostForm(w.base+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	return readPage(w.t, resp)
}

func readPage(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b) // HTML as sent: compare with html.UnescapeString
}

// act posts a form of the ticket page as shown now (its csrf and etag) with
// the fields given, and returns the page the browser lands on.
func (w *webClient) act(ticketPath, action string, fields url.Values) (int, string) {
	w.t.Helper()
	_, page := w.get(ticketPath)
	c, e := csrfInput.FindStringSubmatch(page), etagInput.FindStringSubmatch(page)
	if c == nil || e == nil {
		w.t.Fatalf("the ticket page has no form: %s", page)
	}
	if fields == nil {
		fields = url.Values{}
	}
	fields.Set("csrf", html.UnescapeString(c[1]))
	fields.Set("etag", html.UnescapeString(e[1]))
	return w.post(ticketPath+"/"+action, fields)
}

// TestWebTicketForms: each form of the ticket page changes the ticket
// through the desk (tags, topic, custom fields, spam, close and reopen,
// delete and undelete for admins), the page shows the change, and the
// desk's refusals come back on the page in its words: an agent's delete,
// a bad field value, a form without its etag.
func TestWebTicketForms(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--property", "acme", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	cli(t, data, "topic", "add", "billing", "--as", "boss@acme.test")
	cli(t, data, "field", "add", "--for", "ticket", "--type", "number", "seats", "--as", "boss@acme.test")
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Invoice wrong\r\nMessage-ID: <inv@customer.test>\r\n\r\nThe invoice is wrong.\r\n")
	const tp = "/p/acme/tickets/1"
	wake := time.Now().UTC().AddDate(0, 1, 0).Truncate(time.Minute)
	agent := signInHTTP(t, srv, data, "alice@acme.test")

	for _, c := range []struct {
		action string
		form   url.Values
		status int
		want   string
	}{
		{"tags", url.Values{"add": {"invoices, vip"}}, 200, `aria-label="Remove tag vip"`},
		{"tags", url.Values{"remove": {"vip"}}, 200, `<span class="ev">untagged</span> vip`},
		{"topic", url.Values{"topic": {"billing"}}, 200, `topic <strong>billing</strong>`},
		{"fields", url.Values{"field.seats": {"many"}}, 422, `seats`},
		{"fields", url.Values{"field.seats": {"12"}}, 200, `name="field.seats" value="12"`},
		{"priority", url.Values{"priority": {"urgent-ish"}}, 422, `unknown priority "urgent-ish"`},
		{"snooze", url.Values{"preset": {"until"}, "until": {wake.Format("2006-01-02T15:04")}}, 200, "snoozed until " + wake.Format("Mon 2 Jan 2006 15:04 UTC")},
		{"close", url.Values{"reason": {"cancelled"}}, 200, `closed (cancelled)`},
		{"reopen", nil, 200, `status-open`},
		{"spam", nil, 200, `status-spam`},
		{"unspam", nil, 200, `action="/p/acme/tickets/1/spam"`},
		{"delete", nil, 403, `only admins may delete a ticket`},
	} {
		status, page := agent.act(tp, c.action, c.form)
		page = html.UnescapeString(page)
		if status != c.status || !strings.Contains(page, c.want) {
			t.Errorf("%s %v: %d, want %d with %q in:\n%s", c.action, c.form, status, c.status, c.want, pageMain(page))
		}
	}
	if _, page := agent.get(tp); strings.Contains(page, `action="/p/acme/tickets/1/delete"`) {
		t.Error("an agent is shown the delete button")
	}
	if status, page := agent.post(tp+"/tags", url.Values{"csrf": {csrfInput.FindStringSubmatch(mustGet(agent, tp))[1]}, "add": {"x"}}); status != 400 ||
		!strings.Contains(page, "no etag") {
		t.Errorf("a form without its etag: %d %s", status, pageMain(page))
	}

	admin := signInHTTP(t, srv, data, "boss@acme.test")
	if status, page := admin.act(tp, "delete", nil); status != 200 || !strings.Contains(page, "status-deleted") {
		t.Errorf("an admin's delete: %d %s", status, pageMain(page))
	}
	if status, page := admin.act(tp, "undelete", nil); status != 200 || strings.Contains(page, "status-deleted") {
		t.Errorf("an admin's undelete: %d %s", status, pageMain(page))
	}
	// A long ticket shows its first and newest 40 messages, the rest
	// behind "show all".
	for i := range 41 {
		mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, fmt.Sprintf(
			"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Re: Invoice wrong\r\nMessage-ID: <more%d@customer.test>\r\n"+
				"In-Reply-To: <inv@customer.test>\r\n\r\nAnd another thing, number %d.\r\n", i, i))
	}
	page := html.UnescapeString(mustGet(admin, tp))
	if n := strings.Count(page, `<li class="msg `); n != 40 || !strings.Contains(page, "2 more messages: show all") ||
		!strings.Contains(page, "The invoice is wrong.") || !strings.Contains(page, "number 40.") || strings.Contains(page, "number 0.") {
		t.Errorf("a ticket of 42 messages shows %d, want the first and the newest 39 and a link to the others:\n%s", n, pageMain(page))
	}
	if n := strings.Count(mustGet(admin, tp+"?all=1"), `<li class="msg `); n != 42 {
		t.Errorf("show all: %d messages, want 42", n)
	}

	out := cli(t, data, "ticket", "show", "1")
	for _, want := range []string{"billing", "invoices", "seats"} {
		if !strings.Contains(out, want) {
			t.Errorf("ticket show after the forms lacks %q:\n%s", want, out)
		}
	}
}

func mustGet(w *webClient, path string) string {
	w.t.Helper()
	status, page := w.get(path)
	if status != 200 {
		w.t.Fatalf("GET %s: %d", path, status)
	}
	return page
}

// pageMain is the main part of a page, for failure messages.
func pageMain(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	if len(page) > 3000 {
		page = page[:3000]
	}
	return page
}
