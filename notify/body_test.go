package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestRenderedBodyLinesWithinLimits: a text line longer than RFC 5322
// §2.1.1's 998 octets (a pasted log line, a long URL list) goes out
// quoted-printable, with no line over the limit, and reads back unchanged.
func TestRenderedBodyLinesWithinLimits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	long := strings.Repeat("0123456789", 240) // 2,400 octets of plain ASCII
	text := "Here is the log line:\n" + long + "\nThanks."
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		m := ticket.Message{PropertyID: f.prop.ID, TicketID: f.tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorID: f.tk.RequesterID, AuthorEmail: "carol@example.com", Subject: "Broken",
			MessageID: "long-line@example.com", Text: text, ContentHash: "long"}
		if err := tx.InsertMessage(&m, []byte("raw")); err != nil {
			return err
		}
		q := outbox.Queue{Keys: f.keys, Tx: tx, Prop: f.prop, AcksPerHour: 10}
		return q.Copies(f.tk, m.ID, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	w := New(Options{Store: f.st, Keys: f.keys, InstanceID: "test", Now: f.clock.now})
	var copies int
	for _, row := range f.rows(t) {
		if row.Kind != ticket.OutCopy {
			continue
		}
		copies++
		r, err := w.render(ctx, row)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		for i, l := range bytes.Split(r.raw, []byte("\n")) {
			if n := len(bytes.TrimSuffix(l, []byte("\r"))); n > maxLineLen {
				t.Errorf("line %d of the copy has %d octets (limit %d)", i+1, n, maxLineLen)
			}
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(r.raw))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(env.Text, long) || !strings.Contains(env.HTML, long) {
			t.Errorf("the long line does not read back whole from the text and HTML parts")
		}
	}
	if copies == 0 {
		t.Fatal("no copy queued")
	}
}
