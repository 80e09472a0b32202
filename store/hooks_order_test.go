package store

import (
	"context"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestEventsInCommitOrder: two gateways on one PostgreSQL database; one's
// transaction writes an event (the lower id) and commits after the
// other's event (the higher id) was committed and read by a live stream:
// the stream, past the second, still gets the first.
func TestEventsInCommitOrder(t *testing.T) {
	if !onPostgres() {
		t.Skip("two gateways share a database on PostgreSQL only; SQLite's one writer commits in id order")
	}
	ctx := context.Background()
	opts := testOptions(t)
	a, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := a.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	f := &deskFixture{t: t, st: a, prop: p}
	tk, _ := f.open("zoe@example.com", "m1@x")
	start, err := a.LastHookPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}

	inserted, release, slow := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		slow <- a.Update(ctx, func(tx *Tx) error {
			tx.Emit(p.ID, tk.ID, ticket.HookTicketOverdue, nil)
			if err := tx.flushHooks(); err != nil { // written now: its id is taken
				return err
			}
			select {
			case <-inserted: // a run again
			default:
				close(inserted)
			}
			<-release
			return nil
		})
	}()
	<-inserted
	if err := b.Update(ctx, func(tx *Tx) error {
		tx.Emit(p.ID, tk.ID, ticket.HookTicketClosed, nil)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first, err := b.HookEventsAfter(ctx, []int64{p.ID}, start, 10)
	if err != nil || len(first) != 1 || first[0].Type != ticket.HookTicketClosed {
		t.Fatalf("stream's first read: %+v, %v; want the closed event", first, err)
	}
	close(release)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	next, err := b.HookEventsAfter(ctx, []int64{p.ID}, first[0].Position, 10)
	if err != nil || len(next) != 1 || next[0].Type != ticket.HookTicketOverdue {
		t.Fatalf("stream's next read: %+v, %v; want the overdue event committed later", next, err)
	}
	if next[0].ID > first[0].ID {
		t.Errorf("the later commit's event has the higher id (%d > %d): the test did not commit out of id order", next[0].ID, first[0].ID)
	}
	if last, err := a.LastHookPosition(ctx); err != nil || last != next[0].Position {
		t.Errorf("last position %d (%v), want %d", last, err, next[0].Position)
	}
}
