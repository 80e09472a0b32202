package store

import (
	"context"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

var openWork = []ticket.Status{ticket.StatusOpen, ticket.StatusAnswered, ticket.StatusSnoozed}

// rotationFixture is a property whose Support department has members
// a, b, c and d (in id order).
type rotationFixture struct {
	opts    Options
	st      *Store
	prop    ticket.Property
	dept    int64
	members map[string]ticket.Member
}

func newRotation(t *testing.T) *rotationFixture {
	t.Helper()
	ctx := context.Background()
	f := &rotationFixture{opts: testOptions(t), members: map[string]ticket.Member{}}
	f.reopen(t)
	p, err := f.st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	f.prop = p
	for _, n := range []string{"a", "b", "c", "d"} {
		m, err := f.st.AddMember(ctx, "p", ticket.Member{Email: n + "@x.test", Name: n, Role: ticket.RoleAgent}, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.members[n] = m
	}
	deps, err := f.st.Departments(ctx, "p")
	if err != nil || len(deps) != 1 {
		t.Fatalf("departments: %v, %v", deps, err)
	}
	f.dept = deps[0].ID
	return f
}

// reopen closes the store and opens the file again, as a restart does.
func (f *rotationFixture) reopen(t *testing.T) {
	t.Helper()
	if f.st != nil {
		f.st.Close()
	}
	st, err := Open(context.Background(), f.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
}

// next gives a new ticket to the next member of the rotation, as the desk
// does, and returns her name ("" when nobody is eligible).
func (f *rotationFixture) next(t *testing.T) string {
	t.Helper()
	var got string
	err := f.st.Update(context.Background(), func(tx *Tx) error {
		c, err := tx.Contact(f.prop.ID, "zoe@y.test", "")
		if err != nil {
			return err
		}
		tk := ticket.Ticket{PropertyID: f.prop.ID, Subject: "s", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: c.ID}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m, found, err := tx.NextInRotation(f.dept, openWork)
		if err != nil || !found {
			return err
		}
		got = m.Name
		if err := tx.SetAssignee(tk.ID, m.ID); err != nil {
			return err
		}
		return tx.SetRotation(f.dept, m.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *rotationFixture) set(t *testing.T, name string, available bool, capacity int) {
	t.Helper()
	m := f.members[name]
	m.Available, m.Capacity = available, capacity
	if err := f.st.Update(context.Background(), func(tx *Tx) error { return tx.UpdateMember(m) }); err != nil {
		t.Fatal(err)
	}
}

// TestRotation: new tickets go round the department's members in id order,
// skipping the unavailable and those at their capacity of open tickets;
// the rotation survives a restart (the store reopened), and closing a
// ticket frees a place.
func TestRotation(t *testing.T) {
	f := newRotation(t)
	f.set(t, "b", false, 0) // away
	f.set(t, "c", true, 1)  // takes one open ticket at most
	var got []string
	for range 4 {
		got = append(got, f.next(t))
	}
	f.reopen(t)
	for range 3 {
		got = append(got, f.next(t))
	}
	want := []string{"a", "c", "d", "a", "d", "a", "d"}
	if g, w := join(got), join(want); g != w {
		t.Errorf("rotation %s, want %s (b away, c at capacity after her first)", g, w)
	}
	// c's ticket (#2) is closed: she has room again, and comes after a.
	if err := f.st.Update(context.Background(), func(tx *Tx) error {
		tk, _, err := tx.TicketByNumber(f.prop.ID, 2)
		if err != nil {
			return err
		}
		return tx.SetStatus(tk.ID, ticket.StatusClosed)
	}); err != nil {
		t.Fatal(err)
	}
	if g := f.next(t) + f.next(t); g != "ac" {
		t.Errorf("after c's ticket closed: %q, want a then c", g)
	}
	// Nobody available: no one is given the ticket.
	for _, n := range []string{"a", "b", "c", "d"} {
		f.set(t, n, false, 0)
	}
	if g := f.next(t); g != "" {
		t.Errorf("with everyone away the ticket went to %q", g)
	}
}

func join(l []string) string {
	out := ""
	for _, s := range l {
		out += s
	}
	return out
}

// TestSpamSenders: marking is idempotent, unmarking forgets, per property.
func TestSpamSenders(t *testing.T) {
	f := newRotation(t)
	ctx := context.Background()
	var before, after, other bool
	err := f.st.Update(ctx, func(tx *Tx) error {
		var err error
		if err = tx.MarkSpamSender(f.prop.ID, "Spam@Y.test", "a@x.test"); err != nil {
			return err
		}
		if err = tx.MarkSpamSender(f.prop.ID, "spam@y.test", "b@x.test"); err != nil {
			return err
		}
		if before, err = tx.IsSpamSender(f.prop.ID, "spam@y.test"); err != nil {
			return err
		}
		if other, err = tx.IsSpamSender(f.prop.ID+1, "spam@y.test"); err != nil {
			return err
		}
		if err = tx.UnmarkSpamSender(f.prop.ID, "SPAM@y.test"); err != nil {
			return err
		}
		after, err = tx.IsSpamSender(f.prop.ID, "spam@y.test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !before || after || other {
		t.Errorf("spam sender: marked %v, after unmarking %v, in another property %v; want true, false, false", before, after, other)
	}
}
