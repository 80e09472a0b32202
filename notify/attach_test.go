package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestCopyAttachmentsBounded: a copy of a message with more attachments
// than maxMailAttachments, or more bytes than maxMailAttachmentBytes,
// carries the first that fit and says how many were left out; the ticket
// keeps them all.
func TestCopyAttachmentsBounded(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name          string
		n, size       int
		want, leftOut int
	}{
		{"many", 1000, 10, maxMailAttachments, 1000 - maxMailAttachments},
		{"large", 5, 8 << 20, 2, 3},
		{"few", 3, 10, 3, 0},
	} {
		f := newFixture(t)
		err := f.st.Update(ctx, func(tx *store.Tx) error {
			m := ticket.Message{PropertyID: f.prop.ID, TicketID: f.tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
				AuthorID: f.tk.RequesterID, AuthorEmail: "carol@example.com", Subject: "Files",
				MessageID: tt.name + "@example.com", Text: "files", HTML: "<p>files</p>", ContentHash: tt.name}
			for i := range tt.n {
				data := bytes.Repeat([]byte{byte(i)}, tt.size)
				data = append(data, fmt.Sprint(i)...)
				sum := sha256.Sum256(data)
				sha := hex.EncodeToString(sum[:])
				if err := tx.PutBlob(sha, data); err != nil {
					return err
				}
				m.Attachments = append(m.Attachments, ticket.Attachment{Filename: fmt.Sprintf("f%d.bin", i),
					ContentType: "application/octet-stream", Size: int64(len(data)), SHA256: sha})
			}
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
		copies := 0
		for _, row := range f.rows(t) {
			if row.Kind != ticket.OutCopy {
				continue
			}
			copies++
			r, err := w.render(ctx, row)
			if err != nil {
				t.Fatalf("%s: render: %v", tt.name, err)
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(r.raw))
			if err != nil {
				t.Fatal(err)
			}
			note := fmt.Sprintf("[%d of the %d attachments", tt.leftOut, tt.n)
			if got := len(env.Attachments); got != tt.want || (tt.leftOut > 0) != strings.Contains(env.Text, note) ||
				(tt.leftOut > 0) != strings.Contains(env.HTML, note) {
				t.Errorf("%s: copy of %d attachments carries %d, text %q; want %d and a note %q in text and HTML when some are left out",
					tt.name, tt.n, got, env.Text, tt.want, note)
			}
		}
		if copies == 0 {
			t.Fatalf("%s: no copy queued", tt.name)
		}
	}
}
