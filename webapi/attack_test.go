package webapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// openStream opens GET /api/events with token and returns the answer as
// soon as its headers came; the stream stays open until cancel.
func (f *fixture) openStream(t *testing.T, token string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /api/events: %v", err)
	}
	return resp, func() { cancel(); resp.Body.Close() }
}

// TestEventStreamsCapped: one token cannot hold any number of live
// streams (each a connection, a goroutine and a query a second): past
// the cap it gets 429 with Retry-After, and a stream closed frees its
// place. Another token is not refused for the first one's streams.
func TestEventStreamsCapped(t *testing.T) {
	f := newFixture(t)
	var closers []context.CancelFunc
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for i := range maxStreamsPerToken {
		resp, cancel := f.openStream(t, f.agent)
		closers = append(closers, cancel)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d of the agent = %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp, cancel := f.openStream(t, f.agent)
	cancel()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream %d of the agent = %d (Retry-After %q), want 429 with Retry-After",
			maxStreamsPerToken+1, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	other, cancel := f.openStream(t, f.admin)
	cancel()
	if other.StatusCode != http.StatusOK {
		t.Errorf("the admin's first stream = %d, want 200: another token's streams do not count", other.StatusCode)
	}
	closers[0]()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := f.openStream(t, f.agent)
		cancel()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one stream closed, a new one = %d, want 200", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// multipartOf returns a multipart/form-data body (boundary B) of part
// repeated until the body is size bytes.
func multipartOf(part string, size int) []byte {
	var b bytes.Buffer
	for b.Len() < size {
		b.WriteString(part)
	}
	b.WriteString("--B--\r\n")
	return b.Bytes()
}

// TestMultipartPartsCapped: a body of the largest size taken, made of
// empty parts, is refused after the parts a message can use, not read to
// its end into half a million files (it cost 900 MB of allocations and 3
// s of CPU per request, any agent's).
func TestMultipartPartsCapped(t *testing.T) {
	for _, tc := range []struct {
		name, part string
		status     int
	}{
		{"files", "--B\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n\r\n", http.StatusUnprocessableEntity},
		{"form fields", "--B\r\nContent-Disposition: form-data; name=text\r\n\r\n\r\n", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := multipartOf(tc.part, 31<<20)
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
			c := &call{w: w, r: r}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var req replyRequest
			_, err := c.readBody("reply", &req)
			runtime.ReadMemStats(&after)
			if p := problemOf(err); p.Status != tc.status {
				t.Errorf("readBody = %v (%d), want %d", err, p.Status, tc.status)
			}
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 16 {
				t.Errorf("reading it allocated %d MB, want it refused early (at most 16 MB)", mb)
			}
		})
	}
}

// TestDownloadsNeverRender: every route that answers stored bytes (a
// received message, an attachment, held mail) answers them as a download
// a browser neither sniffs nor runs in the API's origin: attachment,
// nosniff, and a sandboxing Content-Security-Policy, whatever the type.
func TestDownloadsNeverRender(t *testing.T) {
	f := newFixture(t)
	paths := map[string]string{}
	for _, r := range f.api.Routes() {
		if r.Produces != "" && strings.Contains(r.Path, "{prop}") {
			paths[r.Path] = f.fill(t, r, "acme")
		}
	}
	if len(paths) < 3 {
		t.Fatalf("download routes %v: want the raw message, the attachment and the held mail", paths)
	}
	for route, p := range paths {
		got := f.call(f.agent, "GET", p, nil)
		if got.status != http.StatusOK {
			t.Errorf("GET %s = %d %s", p, got.status, got.body)
			continue
		}
		h := got.header
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("%s: Content-Disposition %q, want attachment", route, cd)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", route, h.Get("X-Content-Type-Options"))
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q, want sandbox; default-src 'none'", route, csp)
		}
	}
}

// TestJSONErrorsSayNothingOfGo: a body of the wrong shape is told what is
// wrong in the API's words (the JSON field and the kind of value wanted),
// never the server's Go types and package names.
func TestJSONErrorsSayNothingOfGo(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/api/properties/acme/tickets", `{"subject": 1}`, `subject: want a string, got number`},
		{"/api/properties/acme/tickets", `{"tags": [true]}`, `tags: want a string, got bool`},
		{"/api/properties/acme/tickets", `{"tags": "x"}`, `tags: want an array, got string`},
		{"/api/properties/acme/tickets", `[1]`, `want a JSON object, got array`},
		{"/api/properties/acme/tickets/1/notes", `"x"`, `want a JSON object, got string`},
		{"/api/properties/acme/tickets/1/merge", `{"into": 1e400}`, `into: want an integer, got number 1e400`},
		{"/api/properties/acme/tickets/1/merge", `{"into": "2"}`, `into: want an integer, got string`},
	} {
		got := f.raw(f.agent, "POST", tc.path, "application/json", []byte(tc.body))
		var p Problem
		if err := json.Unmarshal(got.body, &p); err != nil || got.status != http.StatusBadRequest {
			t.Errorf("POST %s %s = %d %s, want a 400 problem", tc.path, tc.body, got.status, got.body)
			continue
		}
		if strings.Contains(p.Detail, "Go ") || strings.Contains(p.Detail, "webapi.") || !strings.Contains(p.Detail, tc.want) {
			t.Errorf("POST %s %s: detail %q, want %q and no Go types", tc.path, tc.body, p.Detail, tc.want)
		}
	}
}

// raw sends body of type ctype with token and reads the answer.
func (f *fixture) raw(token, method, path, ctype string, body []byte) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestStreamBacklogEndsWithItsToken: a client replaying a long backlog
// slowly (Last-Event-ID: 0 and reading at a trickle) loses it when its
// token is revoked, as a client waiting for new events does: the token is
// read again between batches, not only while the stream is idle.
func TestStreamBacklogEndsWithItsToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	big := strings.Repeat("backlog ", 7000) // about 56 KB: each event carries most of it
	const notes = 300                       // some 17 MB of events: more than the sockets buffer
	boss, _, err := f.st.CachedMember(ctx, f.acme, "boss@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.desk.Do(ctx, f.acme, desk.AsMember(boss), 1, func(o *desk.Op, tk *ticket.Ticket) error {
		for range notes {
			if _, err := o.Note(tk, big, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := f.st.CreateToken(ctx, "alice@acme.test", "stream", "test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events = %d", resp.StatusCode)
	}
	if _, err := f.st.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(streamRecheck + time.Second) // the client reads nothing meanwhile
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	got := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "id: ") {
			got++
		}
	}
	total, err := f.st.LastHookPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got >= int(total) {
		t.Errorf("the revoked token's stream sent all %d events of the backlog, want it ended before its end", got)
	}
	t.Logf("%d of %d events came before the revoked token's stream ended", got, total)
}

// hostileBodies are JSON bodies meant to break a decoder or a validator:
// numbers past every type, nesting past any stack, duplicate keys, wrong
// types, NUL and control characters and RTL overrides in text, ids at
// the edges.
var hostileBodies = []string{
	`{"text": 1e400}`, strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
	strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000),
	`{"subject":"a","subject":"b"}`, `null`, `[]`, `"x"`, `{"tags":[null]}`, `{"tags":"x"}`, `{`, "\x00",
	`{"text":"a\u0000b","subject":"\u202e x","email":"a@b.c","name":"n","phone":"1"}`,
	`{"name":"\u0000"}`, `{"email":"\u0000@x"}`, `{"role":"\u0000"}`, `{"for":"ticket","name":"\u0000","type":"text"}`,
	`{"url":"http://x\u0000"}`, `{"url":"file:///etc/passwd"}`, `{"url":"http://u:p@x.test/"}`, `{"events":[1]}`,
	`{"priority":99999999999999999999}`, `{"targets":{"x":{}}}`,
	`{"targets":{"low":{"resolution":"99999999999h"}}}`, `{"targets":{"low":{"resolution":"-1h"}}}`,
	`{"fields":{"plan":"\u0000"}}`, `{"into":-1}`, `{"into":9223372036854775807}`, `{"into":1.5}`,
	`{"message_id":9223372036854775807}`, `{"message_id":-9223372036854775808}`, `{"status":"x"}`, `{"value":null}`, `{}`,
	`{"status":"snoozed","snoozed_until":"9999-12-31T23:59:59Z"}`, `{"status":"snoozed","snooze_for":"9223372036854775807ns"}`,
}

// hostileQueries are query strings of bad cursors, limits past their
// range, repeated keys and search syntax.
var hostileQueries = []string{
	"?limit=-1", "?limit=0", "?limit=99999999999999999999", "?cursor=%00", "?cursor=zzzz", "?cursor=-1",
	"?cursor=eyJ4IjoxfQ", "?cursor=9223372036854775807", "?cursor=" + strings.Repeat("A", 10000), "?limit=1&limit=2",
	"?q=%00", "?q=%22", "?q=*", "?q=NEAR(", "?q=a%20OR", "?q=" + strings.Repeat("a%20", 1000),
	"?folder=x&folder=y", "?tag=%00", "?sort=x", "?all=x", "?last_event_id=-1",
}

// leaksInternals names what a problem's detail must never show.
var leaksInternals = []string{"sql", "SQLITE", "/tmp/", ".go:", "goroutine", "Go struct", "Go value", "webapi.", "store."}

// TestHostileInput: every route, as acme's admin (who may reach every
// handler), given each hostile body, query and method, answers a clear 4xx
// problem (or a 2xx where the input is fine), never a 500, a panic or a
// hang, and its detail shows nothing of the server's insides.
func TestHostileInput(t *testing.T) {
	f := newFixture(t)
	check := func(what string, got reply) {
		t.Helper()
		if got.status >= 500 {
			t.Errorf("%s = %d %.300s", what, got.status, got.body)
		}
		if got.status >= 400 {
			var p Problem
			if err := json.Unmarshal(got.body, &p); err != nil || got.header.Get("Content-Type") != problemType {
				t.Errorf("%s = %d, not a problem: %.300s", what, got.status, got.body)
			}
			for _, s := range leaksInternals {
				if strings.Contains(p.Detail, s) {
					t.Errorf("%s = %d: the detail shows %q: %s", what, got.status, s, p.Detail)
				}
			}
		}
	}
	for _, r := range f.api.Routes() {
		if r.Access == "public" || r.Path == "/api/events" {
			continue
		}
		p := f.fill(t, r, "acme")
		for _, b := range hostileBodies {
			check(fmt.Sprintf("%s %s %.40q", r.Method, p, b), f.raw(f.admin, r.Method, p, "application/json", []byte(b)))
		}
		for _, q := range hostileQueries {
			check(r.Method+" "+p+q, f.raw(f.admin, r.Method, p+q, "", nil))
		}
		for _, m := range []string{"OPTIONS", "TRACE"} { // no route has them
			got := f.raw(f.admin, m, p, "", nil)
			if got.status != http.StatusMethodNotAllowed || !strings.Contains(got.header.Get("Allow"), r.Method) {
				t.Errorf("%s %s = %d, Allow %q, want 405 allowing %s", m, p, got.status, got.header.Get("Allow"), r.Method)
			}
			check(m+" "+p, got)
		}
		if got := f.raw(f.admin, r.Method, p+"/", "application/json", []byte("{}")); got.status != http.StatusNotFound {
			t.Errorf("%s %s/ (a trailing slash) = %d, want 404", r.Method, p, got.status)
		}
	}
}

// TestSessionStreamsCappedPerMember: signed-in browsers have no token;
// their streams count per member, so one member's eight tabs do not shut
// another member's browser out of the live stream.
func TestSessionStreamsCappedPerMember(t *testing.T) {
	f := newFixture(t)
	api := New(Options{Store: f.st, Desk: f.desk, Held: f.pipe, Session: func(r *http.Request) (string, bool) {
		email := r.Header.Get("X-Test-Member") // the web inbox's session cookie, in short
		return email, email != ""
	}})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close) // after the streams' own cleanups end them
	open := func(email string) int {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
		req.Header.Set("X-Test-Member", email)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp.StatusCode
	}
	for i := range maxStreamsPerToken {
		if got := open("alice@acme.test"); got != http.StatusOK {
			t.Fatalf("alice's browser stream %d = %d, want 200", i+1, got)
		}
	}
	if got := open("alice@acme.test"); got != http.StatusTooManyRequests {
		t.Errorf("alice's browser stream %d = %d, want 429", maxStreamsPerToken+1, got)
	}
	if got := open("boss@acme.test"); got != http.StatusOK {
		t.Errorf("boss's first browser stream = %d, want 200: alice's do not count", got)
	}
}
