package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// apiFixture is the API over a real SQLite file: property acme with admin
// ann and agents bob and cat, a ticket field "plan" (choice: free, pro), a
// topic "billing", customer zoe; tokens for each member.
type apiFixture struct {
	t      *testing.T
	st     *store.Store
	desk   *desk.Desk
	prop   ticket.Property
	srv    *httptest.Server
	tokens map[string]string // member name → token
	// frozen, when set, is the time of every clock (store, desk, API):
	// changes made one after the other share one millisecond.
	frozen atomic.Pointer[time.Time]
}

// now is the fixture's clock.
func (f *apiFixture) now() time.Time {
	if t := f.frozen.Load(); t != nil {
		return *t
	}
	return time.Now()
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	ctx := context.Background()
	f := &apiFixture{t: t, tokens: map[string]string{}}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "api.db"), Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	f.st, f.desk = st, desk.New(desk.Options{Store: st, Keys: keys, Now: f.now})
	if f.prop, err = st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test"}); err != nil {
		t.Fatal(err)
	}
	var ann ticket.Member
	for _, m := range []ticket.Member{{Email: "ann@acme.test", Name: "Ann", Role: ticket.RoleAdmin},
		{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, {Email: "cat@acme.test", Name: "Cat", Role: ticket.RoleAgent}} {
		if m, err = st.AddMember(ctx, "acme", m, "test"); err != nil {
			t.Fatal(err)
		}
		if m.Role == ticket.RoleAdmin {
			ann = m
		}
		secret, _, err := st.CreateToken(ctx, m.Email, "test", "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[m.Name] = secret
	}
	admin := desk.AsMember(ann)
	if _, err := f.desk.AddField(ctx, f.prop, admin, ticket.Field{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldChoice,
		Choices: []string{"free", "pro"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Run(ctx, f.prop, admin, func(o *desk.Op) error { _, err := o.AddTopic("billing"); return err }); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(New(Options{Store: st, Desk: f.desk, Now: f.now}).Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// response is an answer of the API.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends a request as the member named (Ann, Bob, Cat); body is sent
// as JSON unless it is a *multipartBody; header holds name, value pairs.
func (f *apiFixture) call(who, method, path string, body any, header ...string) response {
	f.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		r, ct = &b.buf, b.w.FormDataContentType()
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r, ct = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// json calls and wants status want, decoding the answer into out (unless
// nil).
func (f *apiFixture) json(who, method, path string, body any, want int, out any, header ...string) response {
	f.t.Helper()
	resp := f.call(who, method, path, body, header...)
	if resp.Status != want {
		f.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.Status, want, resp.Body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			f.t.Fatalf("%s %s: %v\n%s", method, path, err, resp.Body)
		}
	}
	return resp
}

// create opens a ticket by API as Bob for customer addr, with tags.
func (f *apiFixture) create(addr, subject string, extra map[string]any) ticket.Ticket {
	f.t.Helper()
	req := map[string]any{"email": addr, "subject": subject, "text": "Hello about " + subject, "no_mail": true}
	for k, v := range extra {
		req[k] = v
	}
	var tk ticket.Ticket
	f.json("Bob", "POST", "/api/properties/acme/tickets", req, http.StatusCreated, &tk)
	return tk
}

// show reads a ticket's view and ETag.
func (f *apiFixture) show(n int64) (ticketView, string) {
	f.t.Helper()
	var v ticketView
	resp := f.json("Bob", "GET", ticketURL("acme", n), nil, http.StatusOK, &v)
	return v, resp.Header.Get("ETag")
}

// multipartBody is a multipart/form-data body being written.
type multipartBody struct {
	buf bytes.Buffer
	w   *multipart.Writer
}

func newMultipart() *multipartBody {
	m := &multipartBody{}
	m.w = multipart.NewWriter(&m.buf)
	return m
}

// part adds a part with the headers given (name, value pairs).
func (m *multipartBody) part(t *testing.T, data []byte, header ...string) *multipartBody {
	t.Helper()
	h := textproto.MIMEHeader{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	w, err := m.w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *multipartBody) close(t *testing.T) *multipartBody {
	t.Helper()
	if err := m.w.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
