package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// deskFixture is a property with helpers to open tickets and store mail.
type deskFixture struct {
	t    *testing.T
	st   *Store
	prop ticket.Property
}

func newDeskFixture(t *testing.T) *deskFixture {
	t.Helper()
	st := openTest(t)
	p, err := st.AddProperty(context.Background(), ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	return &deskFixture{t: t, st: st, prop: p}
}

func (f *deskFixture) update(fn func(tx *Tx) error) {
	f.t.Helper()
	if err := f.st.Update(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

// open opens a ticket for email with one inbound message whose Message-ID
// is msgID, and returns the ticket and the message's id.
func (f *deskFixture) open(email, msgID string) (ticket.Ticket, int64) {
	f.t.Helper()
	var tk ticket.Ticket
	var mid int64
	f.update(func(tx *Tx) error {
		c, err := tx.Contact(f.prop.ID, email, "")
		if err != nil {
			return err
		}
		tk = ticket.Ticket{PropertyID: f.prop.ID, Subject: "about " + msgID, Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: c.ID}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		if err := tx.AddParticipant(tk.ID, c.ID, "requester"); err != nil {
			return err
		}
		mid, err = f.store(tx, tk.ID, c, msgID)
		return err
	})
	return tk, mid
}

// store stores an inbound message of contact c on a ticket, with its
// Message-ID as a thread id.
func (f *deskFixture) store(tx *Tx, ticketID int64, c ticket.Contact, msgID string) (int64, error) {
	m := &ticket.Message{PropertyID: f.prop.ID, TicketID: ticketID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
		AuthorID: c.ID, AuthorEmail: c.Email, MessageID: msgID, Subject: "mail " + msgID, Text: "text of " + msgID}
	if err := tx.InsertMessage(m, []byte("raw")); err != nil {
		return 0, err
	}
	return m.ID, tx.AddThreadIDs(f.prop.ID, ticketID, ThreadInbound, msgID)
}

func (f *deskFixture) ticket(id int64) ticket.Ticket {
	f.t.Helper()
	tk, err := f.st.TicketByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

// TestMergeTicketMovesEverything: merging moves the messages, participants,
// events, field values and queued mail of the source to the target, and
// points the source at the target.
func TestMergeTicketMovesEverything(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	src, m1 := f.open("ann@c.test", "a1@c.test")
	dst, m2 := f.open("bob@c.test", "b1@c.test")
	var field ticket.Field
	var queued OutboxRow
	f.update(func(tx *Tx) error {
		if err := tx.AddEvent(src.ID, "note", "x", "an event of the source"); err != nil {
			return err
		}
		field = ticket.Field{PropertyID: f.prop.ID, For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldText}
		if err := tx.AddField(&field); err != nil {
			return err
		}
		if err := tx.SetFieldValue(field.ID, src.ID, "gold"); err != nil {
			return err
		}
		queued = OutboxRow{PropertyID: f.prop.ID, TicketID: src.ID, Kind: ticket.OutAck, Rcpt: "ann@c.test", RcptKind: "contact", MsgID: "q@x.test"}
		return tx.Enqueue(&queued)
	})
	f.update(func(tx *Tx) error { return tx.MergeTicket(src.ID, dst.ID) })

	msgs, err := f.st.Messages(ctx, dst.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []int64{m1, m2}) {
		t.Errorf("target's messages %v, want %v", ids, []int64{m1, m2})
	}
	parts, err := f.st.TicketParticipants(ctx, dst.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 {
		t.Errorf("target's participants %v, want ann and bob", parts)
	}
	if left, _ := f.st.TicketParticipants(ctx, src.ID); len(left) != 0 {
		t.Errorf("source keeps participants %v", left)
	}
	evs, _ := f.st.Events(ctx, dst.ID)
	if len(evs) != 1 || evs[0].Detail != "an event of the source" {
		t.Errorf("target's events %+v, want the source's one", evs)
	}
	if fv, _ := f.st.FieldValues(ctx, f.prop.ID, ticket.FieldForTicket, dst.ID); fv["plan"] != "gold" {
		t.Errorf("target's fields %v, want plan=gold", fv)
	}
	var row OutboxRow
	f.update(func(tx *Tx) error { row, _, err = tx.OutboxRow(f.prop.ID, queued.ID); return err })
	if row.TicketID != dst.ID {
		t.Errorf("queued mail is of ticket %d, want the target %d", row.TicketID, dst.ID)
	}
	if got := f.ticket(src.ID); got.MergedInto != dst.ID {
		t.Errorf("source merged_into %d, want %d", got.MergedInto, dst.ID)
	}
	list, err := f.st.Tickets(ctx, "p", "")
	if err != nil || len(list) != 1 || list[0].ID != dst.ID {
		t.Errorf("default list %v (%v), want only the target", list, err)
	}
}

// TestMoveMessageTakesItsThreadID: a split message's Message-ID finds the
// new ticket; the ids of other messages stay.
func TestMoveMessageTakesItsThreadID(t *testing.T) {
	f := newDeskFixture(t)
	tk, _ := f.open("ann@c.test", "a1@c.test")
	other, _ := f.open("ann@c.test", "other@c.test")
	var moved int64
	f.update(func(tx *Tx) error {
		c, err := tx.Contact(f.prop.ID, "ann@c.test", "")
		if err != nil {
			return err
		}
		moved, err = f.store(tx, tk.ID, c, "a2@c.test")
		return err
	})
	f.update(func(tx *Tx) error { return tx.MoveMessage(f.prop.ID, moved, tk.ID, other.ID) })
	f.update(func(tx *Tx) error {
		direct, _, err := tx.ThreadIDs(f.prop.ID, []string{"a1@c.test", "a2@c.test"})
		if err != nil {
			return err
		}
		if fmt.Sprint(direct["a2@c.test"]) != fmt.Sprint([]int64{other.ID}) || fmt.Sprint(direct["a1@c.test"]) != fmt.Sprint([]int64{tk.ID}) {
			t.Errorf("thread ids after the move: %v, want a2 → %d, a1 → %d", direct, other.ID, tk.ID)
		}
		if err := tx.MoveMessage(f.prop.ID, moved, tk.ID, other.ID); err == nil {
			t.Error("moving a message from a ticket it is not on succeeded")
		}
		return nil
	})
}

// TestCustomFields: defining, setting, clearing, reading and finding
// tickets by a field's value.
func TestCustomFields(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	a, _ := f.open("ann@c.test", "a@c.test")
	b, _ := f.open("bob@c.test", "b@c.test")
	plan := ticket.Field{PropertyID: f.prop.ID, For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldChoice, Choices: []string{"Gold", "Silver"}}
	f.update(func(tx *Tx) error { return tx.AddField(&plan) })
	err := f.st.Update(ctx, func(tx *Tx) error {
		again := plan
		return tx.AddField(&again)
	})
	if err == nil {
		t.Error("a second field of the same name was added")
	}
	// A contact field of the same name is another field.
	f.update(func(tx *Tx) error {
		cf := ticket.Field{PropertyID: f.prop.ID, For: ticket.FieldForContact, Name: "plan", Type: ticket.FieldText}
		return tx.AddField(&cf)
	})
	f.update(func(tx *Tx) error {
		for _, id := range []int64{a.ID, b.ID} {
			if err := tx.SetFieldValue(plan.ID, id, "Gold"); err != nil {
				return err
			}
		}
		return tx.SetFieldValue(plan.ID, a.ID, "Silver")
	})
	got, err := f.st.TicketsWithField(ctx, f.prop.ID, "plan", "Gold", 10)
	if err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("TicketsWithField(plan, Gold) = %v, %v; want only #%d", got, err, b.Number)
	}
	f.update(func(tx *Tx) error { return tx.SetFieldValue(plan.ID, b.ID, "") })
	if got, _ := f.st.TicketsWithField(ctx, f.prop.ID, "plan", "Gold", 10); len(got) != 0 {
		t.Errorf("after clearing: %v", got)
	}
	if fv, _ := f.st.FieldValues(ctx, f.prop.ID, ticket.FieldForTicket, a.ID); fv["plan"] != "Silver" || len(fv) != 1 {
		t.Errorf("FieldValues(a) = %v, want plan=Silver", fv)
	}
	if fv, _ := f.st.FieldValues(ctx, f.prop.ID, ticket.FieldForTicket, b.ID); fv != nil {
		t.Errorf("FieldValues(b) = %v, want nil", fv)
	}
	if v, err := f.st.CanonicalFieldValue(ctx, f.prop.ID, ticket.FieldForTicket, "plan", "gold"); err != nil || v != "Gold" {
		t.Errorf("CanonicalFieldValue(gold) = %q, %v", v, err)
	}
	if _, err := f.st.CanonicalFieldValue(ctx, f.prop.ID, ticket.FieldForTicket, "nope", "x"); err == nil {
		t.Error("CanonicalFieldValue of an unknown field succeeded")
	}
	fields, err := f.st.Fields(ctx, f.prop.ID)
	if err != nil || len(fields) != 2 || fields[0].For != ticket.FieldForTicket || !slices.Equal(fields[0].Choices, []string{"Gold", "Silver"}) {
		t.Errorf("Fields = %+v, %v", fields, err)
	}
}

// TestContactMergeAndTimeline: a contact's timeline lists their tickets,
// mail and notes newest first; merging moves all of it, and the merged
// address becomes an alias that resolves to the target and counts as a
// participant of its tickets.
func TestContactMergeAndTimeline(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	ta, _ := f.open("ann@c.test", "a1@c.test")
	tb, _ := f.open("ann@home.test", "b1@c.test")
	var ann, home ticket.Contact
	f.update(func(tx *Tx) error {
		var err error
		if ann, err = tx.Contact(f.prop.ID, "ann@c.test", ""); err != nil {
			return err
		}
		if home, err = tx.Contact(f.prop.ID, "ann@home.test", "Ann"); err != nil {
			return err
		}
		return tx.AddContactNote(home.ID, "alice@p.test", "prefers phone")
	})
	f.update(func(tx *Tx) error { return tx.MergeContact(home.ID, ann.ID) })

	tl, err := f.st.Timeline(ctx, ann.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, fmt.Sprintf("%s#%d", e.Kind, e.Ticket))
	}
	want := []string{"note#0", "message#2", "ticket#2", "message#1", "ticket#1"}
	if !slices.Equal(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
	for i := 1; i < len(tl); i++ {
		if tl[i].At.After(tl[i-1].At) {
			t.Errorf("timeline not newest first at %d: %v after %v", i, tl[i].At, tl[i-1].At)
		}
	}
	if got := f.ticket(tb.ID); got.RequesterID != ann.ID {
		t.Errorf("ticket #%d's requester %d, want %d", tb.Number, got.RequesterID, ann.ID)
	}
	f.update(func(tx *Tx) error {
		c, err := tx.Contact(f.prop.ID, "ANN@home.test", "")
		if err != nil {
			return err
		}
		if c.ID != ann.ID {
			t.Errorf("mail from the merged address is contact %d (%s), want %d", c.ID, c.Email, ann.ID)
		}
		for _, id := range []int64{ta.ID, tb.ID} {
			ok, err := tx.IsParticipant(f.prop.ID, id, []string{"ann@home.test"})
			if err != nil || !ok {
				t.Errorf("IsParticipant(#%d, merged address) = %v, %v; want true", id, ok, err)
			}
		}
		ok, err := tx.IsParticipant(f.prop.ID, ta.ID, []string{"eve@c.test"})
		if err != nil || ok {
			t.Errorf("IsParticipant(stranger) = %v, %v", ok, err)
		}
		return nil
	})
	if al, _ := f.st.Aliases(ctx, ann.ID); !slices.Equal(al, []string{"ann@home.test"}) {
		t.Errorf("aliases %v", al)
	}
}

// TestDeskQueriesUseIndexes checks with EXPLAIN QUERY PLAN that a contact's
// timeline, the tickets with a field's value and a ticket's or contact's
// fields search indexes and scan no table (the participant check, with
// merged contacts' aliases, is in TestThreadLookupsUseIndexes).
func TestDeskQueriesUseIndexes(t *testing.T) {
	st := openTest(t)
	queries := map[string]string{
		"timeline":           timelineQuery,
		"tickets with field": ticketsWithFieldQuery,
		"field values":       fieldValuesQuery,
		"aliases":            `SELECT email FROM contacts WHERE merged_into = 1 ORDER BY email`,
	}
	for name, q := range queries {
		args := []any{int64(1), int64(2), false, int64(1), 1, int64(1)}
		switch name {
		case "tickets with field":
			args = []any{int64(1), "plan", "Gold", 10}
		case "field values":
			args = []any{int64(1), int64(1), "ticket"}
		case "aliases":
			args = nil
		}
		plan := queryPlan(t, st, name, q, args...)
		for _, step := range tableScans(plan, "timeline") {
			t.Errorf("%s scans a table: %s\n%s", name, step, strings.Join(plan, "\n"))
		}
	}
}
