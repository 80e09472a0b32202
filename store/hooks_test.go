package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/postdesk/postdesk/ticket"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"não", 2, "n"}, // ã is two bytes: not cut in half
		{"não", 3, "nã"},
		{"", 0, ""},
	} {
		if got := clip(tc.s, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	long := strings.Repeat("é", maxHookBody)
	if got := clip(long, maxHookBody); len(got) > maxHookBody || !utf8.ValidString(got) {
		t.Errorf("clip of %d bytes: %d bytes, valid %v", len(long), len(got), utf8.ValidString(got))
	}
}

// TestHookEventsCommitWithTheChange: an event is written with the
// transaction that made it happen, shows the ticket as that transaction
// left it, queues a delivery for each enabled webhook that asked for its
// type, and is gone with a transaction that failed; a silenced
// transaction emits nothing.
func TestHookEventsCommitWithTheChange(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	f.update(func(tx *Tx) error {
		for _, events := range []string{"", "ticket.closed,message.created", "ticket.assigned"} {
			if _, err := tx.exec(`INSERT INTO webhooks (property_id, url, secret, events, created_by, created_at)
				VALUES (?, 'http://127.0.0.1:1/', 'whsec_x', ?, 'test', 0)`, f.prop.ID, events); err != nil {
				return err
			}
		}
		return nil
	})
	tk, _ := f.open("zoe@example.com", "m1@x") // one message.created
	f.update(func(tx *Tx) error {
		if err := tx.SetStatus(tk.ID, ticket.StatusClosed); err != nil {
			return err
		}
		tx.Emit(f.prop.ID, tk.ID, ticket.HookTicketClosed, &ticket.HookChange{Kind: "status", Actor: "a", Detail: "open → closed"})
		return tx.SetTags(tk.ID, []string{"after"}) // later in the same transaction: in the snapshot
	})
	boom := errors.New("boom")
	if err := f.st.Update(ctx, func(tx *Tx) error {
		tx.Emit(f.prop.ID, tk.ID, ticket.HookTicketOverdue, nil)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing update: %v", err)
	}
	f.update(func(tx *Tx) error {
		tx.Silence()
		tx.Emit(f.prop.ID, tk.ID, ticket.HookTicketOverdue, nil)
		return nil
	})
	recs, err := f.st.HookEventsAfter(ctx, []int64{f.prop.ID}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Type != ticket.HookMessageCreated || recs[1].Type != ticket.HookTicketClosed {
		t.Fatalf("events: %+v", recs)
	}
	var closed ticket.HookEvent
	if err := json.Unmarshal(recs[1].Payload, &closed); err != nil {
		t.Fatal(err)
	}
	if d := closed.Data; d.Property != "p" || d.Ticket == nil || d.Ticket.Status != ticket.StatusClosed ||
		len(d.Ticket.Tags) != 1 || d.Contact == nil || d.Contact.Email != "zoe@example.com" || d.Change.Actor != "a" {
		t.Errorf("ticket.closed payload: %s", recs[1].Payload)
	}
	var deliveries int
	if err := f.st.queryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 4 { // both events to the catch-all; both to the filtered one; none to ticket.assigned's
		t.Errorf("%d deliveries queued, want 4", deliveries)
	}
	if other, err := f.st.HookEventsAfter(ctx, []int64{f.prop.ID + 1}, 0, 10); err != nil || len(other) != 0 {
		t.Errorf("another property's stream: %v %v", other, err)
	}
}

// TestHookPayloadShape: the payload put together from the snapshot's
// parts is byte for byte json.Marshal of the ticket.HookEvent it
// decodes to, with a message and without, with a change and without.
func TestHookPayloadShape(t *testing.T) {
	f := newDeskFixture(t)
	ctx := context.Background()
	tk, _ := f.open("zoe@example.com", "m1@x") // message.created: a message, no change
	f.update(func(tx *Tx) error {
		tx.Emit(f.prop.ID, tk.ID, ticket.HookTicketClosed, &ticket.HookChange{Kind: "status", Actor: "a", Detail: "open → \"closed\" <&>"})
		tx.Emit(f.prop.ID, tk.ID, ticket.HookTicketOverdue, nil)
		return nil
	})
	recs, err := f.st.HookEventsAfter(ctx, []int64{f.prop.ID}, 0, 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("events: %d, %v", len(recs), err)
	}
	for _, r := range recs {
		var ev ticket.HookEvent
		if err := json.Unmarshal(r.Payload, &ev); err != nil {
			t.Fatalf("%s: %v: %s", r.Type, err, r.Payload)
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(r.Payload) {
			t.Errorf("%s payload\n got %s\nwant %s", r.Type, r.Payload, want)
		}
		if ev.Type != r.Type || ev.Data.Ticket == nil || ev.Data.Ticket.ID != tk.ID || ev.Data.Contact == nil {
			t.Errorf("%s decodes to %+v", r.Type, ev)
		}
	}
}
