package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fixture is a pipeline over a fresh SQLite file with two properties.
type fixture struct {
	st   *store.Store
	p    *Pipeline
	keys *threading.Keys
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, p := range []ticket.Property{
		{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}, FromAddress: "support@acme.test", TagFormat: "[#%d]"},
		{Slug: "globex", Name: "Globex", Addresses: []string{"help@globex.test"}, FromAddress: "help@globex.test", TagFormat: "[#%d]"},
	} {
		if _, err := st.AddProperty(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, p: New(Options{Store: st, Keys: keys}), keys: keys}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) deliver(t *testing.T, raw []byte, to ...string) {
	t.Helper()
	if err := f.p.Deliver(context.Background(), "sender@example.com", to, raw); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
}

// only returns the single ticket of a property and its messages.
func (f *fixture) only(t *testing.T, slug string) (ticket.Ticket, []ticket.Message) {
	t.Helper()
	ctx := context.Background()
	ts, err := f.st.Tickets(ctx, slug, "")
	if err != nil || len(ts) != 1 {
		t.Fatalf("Tickets(%s) = %d tickets, %v; want 1", slug, len(ts), err)
	}
	msgs, err := f.st.Messages(ctx, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return ts[0], msgs
}

func TestBodiesAndCharsets(t *testing.T) {
	tests := []struct {
		file, subject, author, text string
	}{
		{"plain.eml", "Where is my order?", "bob@example.com", "Hello, my order 1234 has not arrived."},
		{"latin1-qp.eml", "Grüße aus München", "juergen@example.de", "Schöne Grüße, die Straße ist gesperrt."},
		{"iso2022jp.eml", "こんにちは", "taro@example.jp", "こんにちは世界"},
		{"undeclared-1252.eml", "commande", "francois@example.fr", "Bonjour, le café est froid et la crème brûlée"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := newFixture(t)
			raw := readFixture(t, tt.file)
			f.deliver(t, raw, "support@acme.test")
			tk, msgs := f.only(t, "acme")
			if tk.Subject != tt.subject {
				t.Errorf("ticket subject = %q, want %q", tk.Subject, tt.subject)
			}
			m := msgs[0]
			if m.AuthorEmail != tt.author {
				t.Errorf("author = %q, want %q", m.AuthorEmail, tt.author)
			}
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("text = %q, want it to contain %q", m.Text, tt.text)
			}
			got, err := f.st.RawMessage(context.Background(), m.ID)
			if err != nil || !bytes.Equal(got, raw) {
				t.Errorf("raw message differs from what was received (err %v)", err)
			}
		})
	}
}

func TestRequesterIsReplyTo(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, readFixture(t, "plain.eml"), "support@acme.test")
	tk, msgs := f.only(t, "acme")
	if tk.Requester != "bob.private@example.net" {
		t.Errorf("requester = %q, want the Reply-To address", tk.Requester)
	}
	if msgs[0].AuthorEmail != "bob@example.com" || msgs[0].AuthorName != "Bob Example" {
		t.Errorf("author = %q <%s>, want From", msgs[0].AuthorName, msgs[0].AuthorEmail)
	}
	if got := strings.Join(msgs[0].Cc, ","); got != "dave@example.org" {
		t.Errorf("Cc = %q", got)
	}
}

func TestAttachmentsByteIdentical(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, readFixture(t, "inline-pdf.eml"), "support@acme.test")
	_, msgs := f.only(t, "acme")
	m := msgs[0]
	if !strings.Contains(m.HTML, `cid:logo@example.com`) || !strings.Contains(m.Text, "Café crème") {
		t.Errorf("bodies: text %q html %q", m.Text, m.HTML)
	}
	want := map[string]struct {
		file, ctype, cid string
		inline           bool
	}{
		"logo.png":    {"logo.png", "image/png", "logo@example.com", true},
		"invoice.pdf": {"invoice.pdf", "application/pdf", "", false},
	}
	if len(m.Attachments) != len(want) {
		t.Fatalf("got %d attachments, want %d: %+v", len(m.Attachments), len(want), m.Attachments)
	}
	for _, a := range m.Attachments {
		w, ok := want[a.Filename]
		if !ok {
			t.Errorf("unexpected attachment %q", a.Filename)
			continue
		}
		content, err := f.st.Blob(context.Background(), a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(content, readFixture(t, w.file)) {
			t.Errorf("%s: stored content differs from the original file", a.Filename)
		}
		if a.ContentType != w.ctype || a.ContentID != w.cid || a.Inline != w.inline || a.Size != int64(len(content)) {
			t.Errorf("%s = %+v, want type %s cid %q inline %v", a.Filename, a, w.ctype, w.cid, w.inline)
		}
	}
}

func TestMalformedIsStoredWithWarnings(t *testing.T) {
	f := newFixture(t)
	raw := readFixture(t, "malformed.eml")
	f.deliver(t, raw, "support@acme.test")
	_, msgs := f.only(t, "acme")
	m := msgs[0]
	if !strings.Contains(m.Text, "The text part survives.") {
		t.Errorf("text = %q", m.Text)
	}
	if len(m.Warnings) == 0 {
		t.Error("no parser warnings kept on a malformed message")
	}
	if !m.Synthetic || !strings.HasSuffix(m.MessageID, "@postdesk.invalid") {
		t.Errorf("MessageID = %q synthetic %v, want a synthetic id", m.MessageID, m.Synthetic)
	}
	if m.AuthorEmail != "broken@example.com" {
		t.Errorf("author = %q, want the address salvaged from the broken From", m.AuthorEmail)
	}
	// The synthetic id is stable: the same bytes again are a retransmission.
	f.deliver(t, raw, "support@acme.test")
	if _, msgs := f.only(t, "acme"); len(msgs) != 1 {
		t.Errorf("retransmitted malformed mail stored %d times", len(msgs))
	}
}

func TestRetransmissionAndMessageIDReuse(t *testing.T) {
	f := newFixture(t)
	raw := readFixture(t, "plain.eml")
	f.deliver(t, raw, "support@acme.test")
	// The same mail relayed again through another hop: a new trace header.
	f.deliver(t, append([]byte("Received: from relay2.example.net by mx\r\n"), raw...), "support@acme.test")
	n, _ := f.st.Count(context.Background(), "messages")
	if n != 1 {
		t.Fatalf("after a retransmission: %d messages stored, want 1", n)
	}
	// A different mail reusing the Message-ID is kept.
	other := bytes.Replace(raw, []byte("has not arrived"), []byte("arrived broken"), 1)
	f.deliver(t, other, "support@acme.test")
	if n, _ := f.st.Count(context.Background(), "messages"); n != 2 {
		t.Fatalf("a different mail with a reused Message-ID: %d messages stored, want 2", n)
	}
}

func TestMultiPropertyDelivery(t *testing.T) {
	f := newFixture(t)
	// Two recipients of acme (one in another case) and one of globex.
	f.deliver(t, readFixture(t, "plain.eml"), "support@acme.test", "SUPPORT@ACME.TEST", "help@globex.test")
	for _, slug := range []string{"acme", "globex"} {
		_, msgs := f.only(t, slug)
		if len(msgs) != 1 {
			t.Errorf("%s: %d messages, want 1", slug, len(msgs))
		}
	}
}

func TestRejections(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var rej *Rejection
	if err := f.p.CheckRecipient(ctx, "nobody@acme.test"); !errors.As(err, &rej) || !rej.UnknownRecipient {
		t.Errorf("CheckRecipient(unknown) = %v, want an unknown-recipient rejection", err)
	}
	if err := f.p.CheckRecipient(ctx, "support+anything@acme.test"); err != nil {
		t.Errorf("CheckRecipient(subaddress) = %v", err)
	}
	if err := f.p.CheckRecipient(ctx, "Support@Acme.Test"); err != nil {
		t.Errorf("CheckRecipient(known, other case) = %v", err)
	}
	for _, raw := range []string{"", "\x00\x01binary garbage with no header", "\r\n\r\nbody without a header\r\n"} {
		err := f.p.Deliver(ctx, "", []string{"support@acme.test"}, []byte(raw))
		if !errors.As(err, &rej) || rej.UnknownRecipient {
			t.Errorf("Deliver(%q) = %v, want a permanent rejection", raw, err)
		}
	}
}
