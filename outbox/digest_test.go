package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestDigestFoldsNotices drives the digester with its clock: the first
// notice of a topic goes out at once, the rest of the window's wait and
// leave as one digest when the window has passed, and each topic and member
// has its own window. (Notices pending together when a window opens leave
// together, as one digest.)
func TestDigestFoldsNotices(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "pd.db"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("digest test key 0123")})
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromName: "Acme", FromAddress: "support@acme.test", TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAgent}, "test")
	bob, _ := st.AddMember(ctx, "acme", ticket.Member{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, "test")
	notice := func(m ticket.Member, subject string) {
		t.Helper()
		err := st.Update(ctx, func(tx *store.Tx) error {
			return Queue{Keys: keys, Tx: tx, Prop: prop}.Notice(0, m, subject, "details of "+subject)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	d := NewDigester(DigestOptions{Store: st, Keys: keys, Now: c.now, Window: time.Hour})
	flush := func(want int) []store.OutboxRow {
		t.Helper()
		before, _ := st.Outbox(ctx, prop.ID, "")
		n, err := d.Flush(ctx)
		if err != nil || n != want {
			t.Fatalf("at %s: Flush() = %d, %v; want %d", c.t.Format(time.TimeOnly), n, err, want)
		}
		after, _ := st.Outbox(ctx, prop.ID, "")
		return after[:len(after)-len(before)] // newest first
	}

	notice(alice, "Delivery failed: c1@example.com")
	notice(alice, "Held: a mail in your name")
	notice(bob, "Delivery failed: c1@example.com")
	rows := flush(3) // the first of each member and topic
	for i := 2; i <= 5; i++ {
		notice(alice, fmt.Sprintf("Delivery failed: c%d@example.com", i))
	}
	flush(0)
	for _, r := range rows {
		if r.Kind != ticket.OutNotice || strings.Contains(r.Subject, "notices") {
			t.Errorf("first notices: %s %q, want each notice as it is", r.Kind, r.Subject)
		}
		if tok, ok := keys.TokenInMessageID(r.MsgID); !ok || tok.Kind != threading.KindNotice || tok.ID != r.RcptID {
			t.Errorf("notice Message-ID %s carries no notice token of its member", r.MsgID)
		}
	}
	c.t = c.t.Add(59 * time.Minute)
	flush(0) // alice's four other failures wait for the window
	c.t = c.t.Add(2 * time.Minute)
	rows = flush(1)
	if r := rows[0]; r.Rcpt != "alice@acme.test" || r.Subject != "Delivery failed: 4 notices" ||
		!strings.Contains(r.Body, "details of Delivery failed: c5@example.com") || strings.Contains(r.Body, "c1@example.com") {
		t.Errorf("digest to %s: %q\n%s", r.Rcpt, r.Subject, r.Body)
	}
	notice(alice, "Delivery failed: c6@example.com")
	c.t = c.t.Add(30 * time.Minute)
	flush(0) // one digest per window: the next waits for the hour after this one
	c.t = c.t.Add(31 * time.Minute)
	if rows = flush(1); rows[0].Subject != "Delivery failed: c6@example.com" {
		t.Errorf("a lone notice after the window: %q, want it as it is", rows[0].Subject)
	}
	if n, _ := st.Count(ctx, "pending_notices"); n != 0 {
		t.Errorf("%d notices still pending", n)
	}
}
