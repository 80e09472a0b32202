package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

func TestDKIMSignatureVerifies(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	d, err := LoadDKIM(keyFile, "pd1")
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: Acme <support@acme.test>\r\nTo: carol@example.com\r\nSubject: hi\r\nMessage-ID: <x@acme.test>\r\n\r\nhello\r\n"
	signed, err := d.Sign("acme.test", []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(name string) ([]string, error) {
		if name != "pd1._domainkey.acme.test" {
			t.Errorf("looked up %q", name)
		}
		return []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}, nil
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(signed), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "acme.test" {
		t.Fatalf("verification: %+v, %v", vs, err)
	}
	tampered := bytes.Replace(signed, []byte("hello"), []byte("HELLO"), 1)
	vs, _ = dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookup})
	if len(vs) != 1 || vs[0].Err == nil {
		t.Error("a tampered body still verifies")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for attempts, w := range want {
		if got := backoff(attempts); got != w {
			t.Errorf("backoff(%d) = %v, want %v", attempts, got, w)
		}
	}
}

// fixture is a store with one property, a member and a ticket, and an
// outbox row queued to the customer.
type fixture struct {
	st    *store.Store
	keys  *threading.Keys
	prop  ticket.Property
	tk    ticket.Ticket
	clock *clock
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "pd.db"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("notify test key 0123")})
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromName: "Acme", FromAddress: "support@acme.test", TagFormat: "[#%d]", AckEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAgent}, "test"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, keys: keys, prop: prop, clock: c}
	err = st.Update(ctx, func(tx *store.Tx) error {
		carol, err := tx.Contact(prop.ID, "carol@example.com", "Carol")
		if err != nil {
			return err
		}
		f.tk = ticket.Ticket{PropertyID: prop.ID, Subject: "Broken", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: carol.ID}
		if err := tx.CreateTicket(&f.tk); err != nil {
			return err
		}
		q := outbox.Queue{Keys: keys, Tx: tx, Prop: prop, AcksPerHour: 10}
		return q.Acknowledge(f.tk, carol, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs a worker and the notice digester against the relay until cond
// holds.
func (f *fixture) run(t *testing.T, relay *smtptest.Relay, cond func() bool) {
	t.Helper()
	f.runWith(t, relay, Options{InstanceID: "test"}, cond)
}

// runWith is run with a worker's own instance id, lease and number of
// delivery goroutines [2].
func (f *fixture) runWith(t *testing.T, relay *smtptest.Relay, o Options, cond func() bool) {
	t.Helper()
	tr, err := ParseRelay(relay.URL(), "test.local")
	if err != nil {
		t.Fatal(err)
	}
	w := New(Options{Store: f.st, Keys: f.keys, Transport: tr, InstanceID: o.InstanceID, Lease: o.Lease, Now: f.clock.now,
		Workers: cmp.Or(o.Workers, 2), Poll: 10 * time.Millisecond})
	d := outbox.NewDigester(outbox.DigestOptions{Store: f.st, Keys: f.keys, Now: f.clock.now, Poll: 10 * time.Millisecond, OnQueued: w.Kick})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { w.Run(ctx); done <- struct{}{} }()
	go func() { d.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) rows(t *testing.T) []store.OutboxRow {
	t.Helper()
	rows, err := f.st.Outbox(context.Background(), f.prop.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTemporaryFailureIsRetriedNotHammered: a relay answering 451 sees the
// mail once; the row waits a minute, then is delivered when the relay
// recovers and the time has come.
func TestTemporaryFailureIsRetriedNotHammered(t *testing.T) {
	f := newFixture(t)
	relay := smtptest.Start(t)
	relay.Fail(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	f.run(t, relay, func() bool { return f.rows(t)[0].Attempts == 1 })
	time.Sleep(200 * time.Millisecond) // 20 polls: none may retry early
	row := f.rows(t)[0]
	if relay.Attempts() != 1 || row.Status != ticket.OutQueued || !row.NextAttempt.Equal(f.clock.t.Add(time.Minute)) {
		t.Fatalf("after a 451: %d attempts at the relay, row %s, next %v; want 1, queued, a minute later", relay.Attempts(), row.Status, row.NextAttempt)
	}
	relay.Fail(nil)
	f.clock.t = f.clock.t.Add(61 * time.Second)
	f.run(t, relay, func() bool { return f.rows(t)[0].Status == ticket.OutSent })
	if got := relay.To("carol@example.com"); len(got) != 1 {
		t.Fatalf("carol received %d mails, want 1", len(got))
	}
}

// TestPermanentFailure: a 550 fails the row, records it on the ticket and
// tells the team, whose notice is delivered.
func TestPermanentFailure(t *testing.T) {
	f := newFixture(t)
	relay := smtptest.Start(t)
	relay.Refuse("carol@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	f.run(t, relay, func() bool { return len(relay.To("alice@acme.test")) == 1 })
	if ack := f.rows(t)[len(f.rows(t))-1]; ack.Status != ticket.OutFailed || ack.Attempts != 1 {
		t.Errorf("the refused row: %s after %d attempts, want failed after 1", ack.Status, ack.Attempts)
	}
	notice := relay.To("alice@acme.test")[0]
	if !strings.Contains(notice.Header("Subject"), "Delivery failed: carol@example.com") || !strings.Contains(notice.Body(), "no such user") {
		t.Errorf("notice: %q\n%s", notice.Header("Subject"), notice.Body())
	}
	events, _ := f.st.Events(context.Background(), f.tk.ID)
	found := false
	for _, e := range events {
		found = found || e.Kind == "delivery-failed"
	}
	if !found {
		t.Errorf("no delivery-failed event on the ticket: %+v", events)
	}
}

func TestParseRelay(t *testing.T) {
	tests := []struct {
		url, addr string
		ok        bool
	}{
		{"smtp://relay.example.com", "relay.example.com:25", true},
		{"smtp://u:p@relay.example.com:587?tls=required", "relay.example.com:587", true},
		{"smtps://relay.example.com", "relay.example.com:465", true},
		{"smtp://u:p@relay.example.com?auth=login", "relay.example.com:25", true},
		{"smtp://u:p@relay.example.com?tls=none", "relay.example.com:25", true},
		{"smtp://relay.example.com?auth=login", "", false},    // auth without credentials
		{"smtp://relay.example.com?insecure=true", "", false}, // removed: no unknown parameter passes
		{"smtps://relay.example.com?tls=none", "", false},
		{"smtp://:25", "", false},
		{"http://relay.example.com", "", false},
		{"smtp://relay.example.com?tls=maybe", "", false},
		{"smtp://u:p@relay.example.com?auth=cram", "", false},
	}
	for _, tt := range tests {
		r, err := ParseRelay(tt.url, "me")
		if (err == nil) != tt.ok || (err == nil && r.addr != tt.addr) {
			t.Errorf("ParseRelay(%q) = %v, %v; want addr %q ok %v", tt.url, r, err, tt.addr, tt.ok)
		}
		if err == nil && strings.Contains(r.String(), "p@") {
			t.Errorf("String() leaks the password: %s", r)
		}
	}
}
