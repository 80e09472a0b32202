package webapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestErrorContract: what the API answers besides success is documented
// on the operation that answers it, and is a problem (RFC 9457), but for
// 304: 409 for what exists already, 415 for a body of another type, 304
// for a ticket read with its own ETag, 412 for a stale If-Match, and the
// mux's 404 and 405 under /api/ (405 with Allow). The validators and
// Last-Event-ID are documented as header parameters, ETag and Retry-After
// as response headers, and 429 and 503 where they can happen.
func TestErrorContract(t *testing.T) {
	f := newDocFixture(t)
	_, doc := f.docOf(t)
	const ticketOp = "/api/properties/{prop}/tickets/{n}"
	tag := f.call(t, "GET", "/api/properties/acme/tickets/1", "", "", nil).Header.Get("ETag")
	if tag == "" {
		t.Fatal("GET ticket 1: no ETag")
	}
	for _, c := range []struct {
		method, url, op, ctype, body string
		header                       map[string]string
		want                         int
	}{
		{"POST", "/api/properties/acme/members", "/api/properties/{prop}/members", "application/json",
			`{"email":"ann@acme.test"}`, nil, http.StatusConflict},
		{"POST", "/api/properties/acme/topics", "/api/properties/{prop}/topics", "text/plain", `billing`, nil,
			http.StatusUnsupportedMediaType},
		{"GET", "/api/properties/acme/tickets/1", ticketOp, "", "", map[string]string{"If-None-Match": tag}, http.StatusNotModified},
		{"PATCH", "/api/properties/acme/tickets/1", ticketOp, "application/json", `{"priority":"high"}`,
			map[string]string{"If-Match": `"stale"`}, http.StatusPreconditionFailed},
		{"GET", "/api/nowhere", "", "", "", nil, http.StatusNotFound},
		{"PUT", "/api/properties", "", "", "", nil, http.StatusMethodNotAllowed},
	} {
		name := c.method + " " + c.url
		resp := f.call(t, c.method, c.url, c.ctype, c.body, c.header)
		if resp.StatusCode != c.want {
			t.Errorf("%s = %d, want %d", name, resp.StatusCode, c.want)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); c.want != http.StatusNotModified && ct != problemType {
			t.Errorf("%s = %d %s, not a problem", name, c.want, ct)
		}
		if c.op != "" && dig(doc, "paths", c.op, strings.ToLower(c.method), "responses", strconv.Itoa(c.want)) == nil {
			t.Errorf("%s answers %d, undocumented", name, c.want)
		}
	}
	if allow := f.call(t, "PUT", "/api/properties", "", "", nil).Header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("PUT /api/properties: Allow %q, want \"GET, HEAD\"", allow)
	}

	documented := []struct {
		path, method string
		keys         []string
	}{
		{"/api/events", "get", []string{"responses", "429", "$ref"}},
		{"/readyz", "get", []string{"responses", "503", "$ref"}},
		{"/api/properties/{prop}/tickets", "get", []string{"responses", "503", "$ref"}},
		{"/api/properties/{prop}/held/{id}/release", "post", []string{"responses", "409", "$ref"}},
		{ticketOp, "get", []string{"responses", "200", "headers", "ETag"}},
		{ticketOp, "patch", []string{"responses", "2XX", "headers", "ETag"}},
		{ticketOp + "/replies", "post", []string{"responses", "2XX", "headers", "Ticket-ETag"}},
	}
	for _, d := range documented {
		if dig(doc, append([]string{"paths", d.path, d.method}, d.keys...)...) == nil {
			t.Errorf("%s %s: %s undocumented", d.method, d.path, strings.Join(d.keys, "."))
		}
	}
	if dig(doc, "components", "responses", "TooManyRequests", "headers", "Retry-After") == nil {
		t.Error("429 does not document Retry-After")
	}
	for _, h := range []struct{ path, method, name string }{
		{ticketOp, "get", "If-None-Match"}, {ticketOp, "patch", "If-Match"}, {ticketOp + "/notes", "post", "If-Match"},
		{"/api/events", "get", "Last-Event-ID"},
	} {
		found := false
		params, _ := dig(doc, "paths", h.path, h.method, "parameters").([]any)
		for _, p := range params {
			p := p.(map[string]any)
			found = found || p["in"] == "header" && p["name"] == h.name
		}
		if !found {
			t.Errorf("%s %s: header %s undocumented", h.method, h.path, h.name)
		}
	}
}

// call sends a request as the admin, with a body of ctype and headers.
func (f *docFixture) call(t *testing.T, method, url, ctype, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
