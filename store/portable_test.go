package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestPortableQueries runs, on the suite's backend, the statements whose
// SQL differs between SQLite and PostgreSQL or once was SQLite's alone
// (scalar MIN/MAX, COLLATE NOCASE, instr, rowid, subqueries without an
// alias, unqualified columns in an upsert, a bare flag as a condition).
func TestPortableQueries(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t)
	tk, mid := f.open("bob@c.test", "b1@c.test")
	update := func(t *testing.T, fn func(tx *Tx) error) {
		t.Helper()
		if err := f.st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("span ticket", func(t *testing.T) {
		old, later := f.ticket(tk.ID).CreatedAt.Add(-48*time.Hour), f.ticket(tk.ID).UpdatedAt.Add(time.Hour)
		update(t, func(tx *Tx) error { return tx.SpanTicket(f.prop.ID, tk.Number, old) })
		update(t, func(tx *Tx) error { return tx.SpanTicket(f.prop.ID, tk.Number, later) })
		got := f.ticket(tk.ID)
		if !got.CreatedAt.Equal(old) || !got.UpdatedAt.Equal(later) {
			t.Errorf("span: created %v updated %v, want %v and %v", got.CreatedAt, got.UpdatedAt, old, later)
		}
	})

	t.Run("forwarding mailboxes", func(t *testing.T) {
		for _, m := range []string{"sup@gmail.test", "ad***@outlook.test", "nobody"} {
			if err := f.st.AddForwarding(ctx, f.prop.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.st.ForwardingMailboxes(ctx, f.prop.ID)
		if err != nil || !slices.Equal(got, []string{"sup@gmail.test"}) {
			t.Errorf("ForwardingMailboxes = %v, %v; want [sup@gmail.test]", got, err)
		}
	})

	t.Run("department by name in any case", func(t *testing.T) {
		d, err := f.st.AddDepartment(ctx, f.prop.Slug, ticket.Department{Name: "Sales"}, "admin@p.test")
		if err != nil {
			t.Fatal(err)
		}
		update(t, func(tx *Tx) error {
			got, found, err := tx.DepartmentByName(f.prop.ID, " sALES ")
			if err != nil || !found || got.ID != d.ID {
				t.Errorf("DepartmentByName(sALES) = %+v, %v, %v; want %d", got, found, err, d.ID)
			}
			id, found, err := tx.DepartmentNamed(f.prop.ID, "SALES")
			if err != nil || !found || id != d.ID {
				t.Errorf("DepartmentNamed(SALES) = %d, %v, %v; want %d", id, found, err, d.ID)
			}
			return nil
		})
	})

	t.Run("proposed participants in the mail's order", func(t *testing.T) {
		want := []Proposed{{"zed@c.test", "Zed"}, {"amy@c.test", "Amy"}, {"max@c.test", "Max"}}
		update(t, func(tx *Tx) error { return tx.ProposeParticipants(tk.ID, mid, want) })
		got, err := f.st.ProposedParticipants(ctx, mid)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ProposedParticipants = %v, %v; want %v", got, err, want)
		}
		// A row written again moves (PostgreSQL writes a new version of it
		// elsewhere in the table); the order stays the mail's.
		f.st.testExec(t, `UPDATE proposed_participants SET name = name WHERE email = ?`, "zed@c.test")
		got, err = f.st.ProposedParticipants(ctx, mid)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("after an update, ProposedParticipants = %v, %v; want %v", got, err, want)
		}
	})

	t.Run("seen message ids", func(t *testing.T) {
		got, err := f.st.SeenMessageIDs(ctx, tk.ID, tk.RequesterID, 1<<40, 12)
		if err != nil || !slices.Equal(got, []string{"b1@c.test"}) {
			t.Errorf("SeenMessageIDs = %v, %v; want [b1@c.test]", got, err)
		}
	})

	t.Run("counts", func(t *testing.T) {
		var hour, sender []int
		update(t, func(tx *Tx) error {
			for range 3 {
				n, err := tx.CountThisHour(f.prop.ID, "ack")
				if err != nil {
					return err
				}
				hour = append(hour, n)
				if n, err = tx.CountNewTicket(f.prop.ID, "bob@c.test", time.Hour); err != nil {
					return err
				}
				sender = append(sender, n)
				r := OutboxRow{PropertyID: f.prop.ID, Kind: "ack", Rcpt: "bob@c.test", RcptBase: "bob@c.test", RcptKind: "contact", RcptID: tk.RequesterID}
				if err := tx.Enqueue(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if !slices.Equal(hour, []int{1, 2, 3}) || !slices.Equal(sender, []int{1, 2, 3}) {
			t.Errorf("CountThisHour %v, CountNewTicket %v; want [1 2 3] each", hour, sender)
		}
		update(t, func(tx *Tx) error {
			n, err := tx.CountRecent(f.prop.ID, "ack", "bob@c.test", tx.Now().Add(-time.Minute), 2)
			if err != nil || n != 2 {
				t.Errorf("CountRecent(at most 2) = %d, %v; want 2", n, err)
			}
			return nil
		})
	})

	t.Run("timeline pages", func(t *testing.T) {
		first, err := f.st.Timeline(ctx, tk.RequesterID, 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("Timeline = %v, %v; want one entry", first, err)
		}
		rest, err := f.st.TimelineAfter(ctx, tk.RequesterID, first[0].Pos, 10)
		var kinds []string
		for _, e := range append(first, rest...) {
			kinds = append(kinds, fmt.Sprintf("%s#%d", e.Kind, e.Ticket))
		}
		if err != nil || !slices.Equal(kinds, []string{"message#1", "ticket#1"}) {
			t.Errorf("timeline pages %v, %v; want [message#1 ticket#1]", kinds, err)
		}
	})

	t.Run("text with NUL and invalid UTF-8", func(t *testing.T) {
		subject := "bad\x00subject \xff"
		want := subject
		if onPostgres() {
			want = "bad\uFFFDsubject \uFFFD" // PostgreSQL's text holds neither
		}
		var got ticket.Message
		update(t, func(tx *Tx) error {
			c, err := tx.Contact(f.prop.ID, "bob@c.test", "")
			if err != nil {
				return err
			}
			m := &ticket.Message{PropertyID: f.prop.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
				AuthorID: c.ID, AuthorEmail: c.Email, MessageID: "nul@c.test", Subject: subject, Text: subject}
			if err := tx.InsertMessage(m, []byte("Subject: "+subject+"\r\n\r\n")); err != nil {
				return err
			}
			got, _, err = tx.MessageOf(tk.ID, m.ID)
			return err
		})
		if got.Subject != want || got.Text != want {
			t.Errorf("stored subject %q, text %q; want %q", got.Subject, got.Text, want)
		}
	})

	t.Run("held mail, waiting or all", func(t *testing.T) {
		var first ticket.HeldMail
		update(t, func(tx *Tx) error {
			first = ticket.HeldMail{PropertyID: f.prop.ID, Reason: "loop", Sender: "a@c.test", Subject: "one", RawSHA256: "x"}
			if err := tx.HoldMail(&first); err != nil {
				return err
			}
			if err := tx.Hold(f.prop.ID, "loop", "b@c.test", "two", "y"); err != nil {
				return err
			}
			return tx.ResolveHeld(f.prop.ID, first.ID, ticket.HeldDiscarded, "admin@p.test")
		})
		for _, all := range []bool{false, true} {
			held, err := f.st.Held(ctx, f.prop.ID, all)
			var subjects []string
			for _, h := range held {
				subjects = append(subjects, h.Subject)
			}
			want := []string{"two"}
			if all {
				want = []string{"two", "one"}
			}
			if err != nil || !slices.Equal(subjects, want) {
				t.Errorf("Held(all=%v) = %v, %v; want %v", all, subjects, err, want)
			}
		}
	})
}

// TestCheckFindsInvalidIndex: on PostgreSQL, Check's integrity count is
// the indexes left invalid, as a failed concurrent build leaves one.
// (SQLite's count is its quick_check.)
func TestCheckFindsInvalidIndex(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL's integrity check; on SQLite it is quick_check")
	}
	f := newDeskFixture(t)
	f.open("bob@c.test", "b1@c.test")
	f.open("ann@c.test", "a1@c.test")
	// Both tickets' requesters are participants: a unique index on the role fails.
	if _, err := f.st.w.Exec(`CREATE UNIQUE INDEX CONCURRENTLY broken ON ticket_participants(role)`); err == nil {
		t.Fatal("a unique index over duplicate roles was built")
	}
	r, err := f.st.Check(context.Background())
	if err != nil || r.IntegrityErrors != 1 {
		t.Errorf("Check = %+v, %v; want IntegrityErrors 1 (the invalid index)", r, err)
	}
}
