package notify

import (
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"unicode"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// checkHeaderText checks headerText's promises for one input: printable
// ASCII, no word a line cannot hold, and the same text when decoded.
func checkHeaderText(t *testing.T, in string) {
	t.Helper()
	out := headerText(in)
	for _, r := range out {
		if r < ' ' || r > '~' {
			t.Fatalf("headerText(%.40q) holds %q", in, r)
		}
	}
	for _, w := range strings.Fields(out) {
		if len(w) > encodedWordLen {
			t.Fatalf("headerText(%.40q) has a word of %d octets: %.80s", in, len(w), w)
		}
	}
	got, err := new(mime.WordDecoder).DecodeHeader(out)
	if err != nil {
		t.Fatalf("decoding headerText(%.40q): %v", in, err)
	}
	want := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, in)
	if !strings.ContainsRune(in, utf8Invalid) && got != want {
		t.Fatalf("headerText(%.40q) decodes to %.40q", in, got)
	}
}

const utf8Invalid = '\uFFFD'

func TestHeaderText(t *testing.T) {
	for _, in := range []string{
		"Where is my order?",
		strings.Repeat("x", 5000),
		strings.Repeat("Größe ", 300),
		"=?utf-8?q?not_encoded?= but literal",
		"line\r\nBcc: injected@evil.example",
		"日本語の件名" + strings.Repeat("長", 400),
		"a_b=c?d \"quoted\" (paren) <angle>",
		"",
	} {
		checkHeaderText(t, in)
	}
}

func FuzzHeaderText(f *testing.F) {
	f.Add("Where is my order?")
	f.Add(strings.Repeat("x", 200))
	f.Add("Größe =?x?= \r\n")
	f.Fuzz(func(t *testing.T, in string) {
		if !strings.ContainsRune(in, utf8Invalid) && strings.ToValidUTF8(in, "") == in {
			checkHeaderText(t, in)
		}
	})
}

// TestRenderedHeaderLinesWithinLimits: a 5,000-character subject, a 10 KB
// author name, an overlong Message-ID and filename render into mail whose
// every header line is at most 998 octets (RFC 5322 §2.1.1), and the
// subject and name read back as they were (the name shortened).
func TestRenderedHeaderLinesWithinLimits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	subject := strings.Repeat("x", 5000)
	name := strings.Repeat("N", 10000)
	var copyRow int64
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		dave, err := tx.Contact(f.prop.ID, "dave@example.com", name)
		if err != nil {
			return err
		}
		tk := ticket.Ticket{PropertyID: f.prop.ID, Subject: subject, Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: dave.ID}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		blob := []byte("%PDF-1.4 test")
		if err := tx.PutBlob("abc123", blob); err != nil {
			return err
		}
		m := ticket.Message{PropertyID: f.prop.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorID: dave.ID, AuthorEmail: "dave@example.com", AuthorName: name, Subject: subject,
			MessageID: strings.Repeat("m", 1500) + "@example.com", Text: "hello", ContentHash: "h1",
			Attachments: []ticket.Attachment{{Filename: strings.Repeat("ü", 400) + ".pdf", ContentType: "application/pdf", Size: int64(len(blob)), SHA256: "abc123"}}}
		if err := tx.InsertMessage(&m, []byte("raw")); err != nil {
			return err
		}
		q := outbox.Queue{Keys: f.keys, Tx: tx, Prop: f.prop, AcksPerHour: 10}
		if err := q.Acknowledge(tk, dave, false); err != nil {
			return err
		}
		return q.Copies(tk, m.ID, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	w := New(Options{Store: f.st, Keys: f.keys, InstanceID: "test", Now: f.clock.now})
	rows := f.rows(t)
	for _, row := range rows {
		if row.TicketID == f.tk.ID {
			continue // the fixture's own ticket
		}
		if row.Kind == ticket.OutCopy {
			copyRow = row.ID
		}
		r, err := w.render(ctx, row)
		if err != nil {
			t.Fatalf("render %s: %v", row.Kind, err)
		}
		longest := 0
		for _, l := range smtptest.HeaderLines(r.raw) {
			longest = max(longest, len(l))
			if len(l) > wantLineLen {
				t.Logf("%s: %d octets: %s", row.Kind, len(l), l)
			}
			if len(l) > maxLineLen {
				t.Errorf("%s: header line of %d octets: %.100s", row.Kind, len(l), l)
			}
		}
		t.Logf("%s: longest header line %d octets", row.Kind, longest)
		m, err := mail.ReadMessage(strings.NewReader(string(r.raw)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		switch {
		case err != nil:
			t.Errorf("%s: Subject does not read back: %v", row.Kind, err)
		case row.Kind == ticket.OutAck && strings.Contains(got, subject[:20]):
			// An acknowledgement carries no subject of the mail (backscatter).
			t.Errorf("ack: Subject carries the mail's subject: %.60q…", got)
		case row.Kind != ticket.OutAck && !strings.HasSuffix(got, subject):
			t.Errorf("%s: Subject reads back as %.60q… (%d chars)", row.Kind, got, len(got))
		}
		if row.Kind == ticket.OutCopy {
			env, err := enmime.ReadEnvelope(strings.NewReader(string(r.raw)))
			if err != nil || len(env.Attachments) != 1 || !strings.HasPrefix(env.Attachments[0].FileName, "üü") ||
				!strings.HasSuffix(env.Attachments[0].FileName, ".pdf") || len(env.Attachments[0].FileName) > maxFilename {
				t.Errorf("copy attachment does not read back as a shortened name: %v %+v", err, env)
			}
			from, err := (&mail.AddressParser{WordDecoder: new(mime.WordDecoder)}).Parse(m.Header.Get("From"))
			if err != nil || !strings.HasPrefix(from.Name, "NNNN") || len(from.Name) > 4*maxDisplayName || from.Address != "support@acme.test" {
				t.Errorf("copy From = %+v, %v", from, err)
			}
		}
	}
	if copyRow == 0 {
		t.Fatalf("no copy queued: %+v", rows)
	}
}

func TestCheckHeaderLines(t *testing.T) {
	long := strings.Repeat("y", 999)
	tests := []struct {
		raw string
		ok  bool
	}{
		{"Subject: hi\r\n\r\n" + long + "\r\n", true}, // a body line is not a header line
		{"Subject: " + long + "\r\n\r\nbody\r\n", false},
		{"Content-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\n--b1\r\nContent-Disposition: attachment; filename=" + long + "\r\n\r\nx\r\n--b1--\r\n", false},
		{"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n" + long + "\r\n--b1--\r\n", true},
	}
	for i, tt := range tests {
		if err := checkHeaderLines([]byte(tt.raw)); (err == nil) != tt.ok {
			t.Errorf("case %d: checkHeaderLines = %v, want ok %v", i, err, tt.ok)
		}
	}
}
