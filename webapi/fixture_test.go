package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fixture is a real API server over a real store (a SQLite file in
// t.TempDir()) with two properties: acme, seeded with one of everything,
// and beta, an empty one. Its tokens act as acme's admin and agent and as
// beta's admin.
type fixture struct {
	t     *testing.T
	st    *store.Store
	desk  *desk.Desk
	pipe  *ingest.Pipeline
	srv   *httptest.Server
	api   *Server
	acme  ticket.Property
	beta  ticket.Property
	admin string // boss@acme.test, acme's admin
	agent string // alice@acme.test, acme's agent
	other string // root@beta.test, beta's admin
	// What was seeded in acme.
	heldID, attachmentID, messageID, webhookID int64
}

// acme's seeded data, none of which appears in any path: a body holding
// one of these to a caller of another property leaks it.
var acmeSecrets = []string{
	"Invoice 4471 overdue", "Carol Customer", "statement-4471.pdf", "alice@acme.test", "boss@acme.test",
	"support@acme.test", "Acme Support", "Forged boss mail", "acme-billing-topic", "Kind regards from acme",
	"gold-acme", "mailbox-gone-acme", "note-about-carol", "acme-endpoint",
}

// The seeded acme values that paths name.
const (
	carol      = "carol@customer.test"
	suppressed = "gone@customer.test"
	fieldName  = "plan"
)

func newFixture(t *testing.T) *fixture {
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
	f := &fixture{t: t, st: st, desk: desk.New(desk.Options{Store: st, Keys: keys}),
		pipe: ingest.New(ingest.Options{Store: st, Keys: keys, InstanceID: "webapi-test"})}
	f.acme = f.property("acme", "Acme Support", "support@acme.test")
	f.beta = f.property("beta", "Beta Help", "help@beta.test")
	f.member(f.acme, "boss@acme.test", ticket.RoleAdmin)
	f.member(f.acme, "alice@acme.test", ticket.RoleAgent)
	f.member(f.beta, "root@beta.test", ticket.RoleAdmin)
	f.admin, f.agent, f.other = f.token("boss@acme.test"), f.token("alice@acme.test"), f.token("root@beta.test")
	f.seedAcme(ctx)
	f.api = New(Options{Store: st, Desk: f.desk, Held: f.pipe, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	f.srv = httptest.NewServer(f.api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) property(slug, name, addr string) ticket.Property {
	f.t.Helper()
	p := ticket.Property{Slug: slug, Name: name, Addresses: []string{addr}, AckEnabled: true}.WithDefaults()
	p, err := f.st.AddProperty(context.Background(), p)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) member(p ticket.Property, email string, role ticket.Role) {
	f.t.Helper()
	if _, err := f.st.AddMember(context.Background(), p.Slug, ticket.Member{Email: email, Name: strings.Split(email, "@")[0], Role: role}, "test"); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) token(email string) string {
	f.t.Helper()
	secret, _, err := f.st.CreateToken(context.Background(), email, "test", "test")
	if err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// seedAcme gives acme one of everything: a ticket with a message and an
// attachment, a contact with a note and a field, held mail, a suppression,
// a topic, a saved reply and an SLA policy.
func (f *fixture) seedAcme(ctx context.Context) {
	t := f.t
	t.Helper()
	deliver := func(from, raw string) {
		t.Helper()
		if err := f.pipe.Deliver(ctx, from, []string{"support@acme.test"}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	deliver(carol, "From: Carol Customer <"+carol+">\r\nTo: support@acme.test\r\nSubject: Invoice 4471 overdue\r\n"+
		"Message-ID: <inv-4471@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain\r\n\r\nPlease see the statement.\r\n"+
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=statement-4471.pdf\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n")
	// A reply claiming the admin's From without her reply token is held.
	deliver("boss@acme.test", "From: boss@acme.test\r\nTo: support@acme.test\r\nSubject: Forged boss mail\r\n"+
		"Message-ID: <forged@acme.test>\r\nIn-Reply-To: <inv-4471@customer.test>\r\n\r\n#close\r\nhello\r\n")
	held, err := f.st.Held(ctx, f.acme.ID, false)
	if err != nil || len(held) != 1 {
		t.Fatalf("held mail of acme: %v %+v, want the forged mail", err, held)
	}
	f.heldID = held[0].ID
	tk, err := f.st.Ticket(ctx, "acme", 1)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := f.st.Messages(ctx, tk.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages of #1: %v %d", err, len(msgs))
	}
	atts, err := f.st.Attachments(ctx, msgs[0].ID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attachments of #1: %v %+v", err, atts)
	}
	f.attachmentID, f.messageID = atts[0].ID, msgs[0].ID
	wh := store.Webhook{PropertyID: f.acme.ID, URL: "http://127.0.0.1:9/hook", Secret: "whsec_c2VjcmV0LWFjbWU=",
		Description: "acme-endpoint", CreatedBy: "test seed"}
	if err := f.st.Update(ctx, func(tx *store.Tx) error { return tx.AddWebhook(&wh) }); err != nil {
		t.Fatal(err)
	}
	f.webhookID = wh.ID
	system := desk.AsSystem("test seed")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.desk.NoteContact(ctx, f.acme, system, carol, "note-about-carol"))
	_, err = f.desk.AddField(ctx, f.acme, system, ticket.Field{For: ticket.FieldForContact, Name: fieldName, Type: ticket.FieldText})
	must(err)
	_, err = f.desk.SetContactField(ctx, f.acme, system, carol, fieldName, "gold-acme")
	must(err)
	must(f.desk.Run(ctx, f.acme, system, func(o *desk.Op) error {
		if _, err := o.AddTopic("acme-billing-topic"); err != nil {
			return err
		}
		_, err := o.AddReplyTemplate("thanks", "Kind regards from acme")
		return err
	}))
	must(f.desk.SetSLAPolicy(ctx, f.acme, system, sla.Policy{Targets: map[ticket.Priority]sla.Targets{
		ticket.PriorityHigh: {FirstResponse: sla.Duration(time.Hour)}}}))
	must(f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Suppress(ticket.Suppression{PropertyID: f.acme.ID, Address: suppressed, Reason: "mailbox-gone-acme", TicketID: tk.ID})
		return err
	}))
}

// testWriter writes the server's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// reply is an API answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends method path with token and body (JSON, or nothing when nil)
// and reads the answer for at most a second (a stream answers forever).
func (f *fixture) call(token, method, path string, body any) reply {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Last-Event-ID", "0") // a stream replays what it has
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // a stream ends at the deadline: what came is kept
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// json calls and decodes a JSON answer into out, failing unless the
// status is want.
func (f *fixture) json(token, method, path string, body any, want int, out any) reply {
	f.t.Helper()
	r := f.call(token, method, path, body)
	if r.status != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, r.body)
		}
	}
	return r
}
