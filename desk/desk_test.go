package desk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// teamFixture is a desk on a real SQLite file: property p with admin ann and
// agents bob and cat, all in the default department.
type teamFixture struct {
	st      *store.Store
	d       *Desk
	prop    ticket.Property
	members map[string]ticket.Member
}

func newTeamFixture(t *testing.T) *teamFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	f := &teamFixture{st: st, d: New(Options{Store: st, Keys: keys}), members: map[string]ticket.Member{}}
	if f.prop, err = st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"help@p.test"}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []ticket.Member{{Email: "ann@p.test", Role: ticket.RoleAdmin}, {Email: "bob@p.test", Role: ticket.RoleAgent}, {Email: "cat@p.test", Role: ticket.RoleAgent}} {
		if m, err = st.AddMember(ctx, "p", m, "test"); err != nil {
			t.Fatal(err)
		}
		f.members[strings.TrimSuffix(m.Email, "@p.test")] = m
	}
	return f
}

func (f *teamFixture) as(name string) Actor { return AsMember(f.members[name]) }

// open opens a ticket from customer addr, as her mail does.
func (f *teamFixture) open(t *testing.T, addr string) ticket.Ticket {
	t.Helper()
	var tk ticket.Ticket
	err := f.st.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Contact(f.prop.ID, addr, "")
		if err != nil {
			return err
		}
		o := f.d.NewOp(tx, f.prop, AsContact(c), nil)
		tk = ticket.Ticket{Subject: "help", Status: ticket.StatusOpen}
		return o.Open(&tk, c, "opened by inbound mail")
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *teamFixture) do(a Actor, n int64, fn func(*Op, *ticket.Ticket) error) (ticket.Ticket, error) {
	return f.d.Do(context.Background(), f.prop, a, n, fn)
}

func (f *teamFixture) events(t *testing.T, tk ticket.Ticket) string {
	t.Helper()
	evs, err := f.st.Events(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, e := range evs {
		l = append(l, e.Kind+" by "+e.Actor+": "+e.Detail)
	}
	return strings.Join(l, "\n")
}

// TestRouteRoundRobin: Open gives new tickets in turn to the available
// members below capacity, and records it.
func TestRouteRoundRobin(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	no := false
	if _, err := f.d.SetMember(ctx, f.prop, f.as("ann"), "bob@p.test", MemberChange{Available: &no}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range []string{"z1@c.test", "z2@c.test", "z3@c.test"} {
		got = append(got, f.open(t, c).Assignee)
	}
	if g := strings.Join(got, " "); g != "ann@p.test cat@p.test ann@p.test" {
		t.Errorf("assignees %s, want ann, cat, ann (bob away)", g)
	}
	tk, _ := f.st.Ticket(ctx, "p", 2)
	if ev := f.events(t, tk); !strings.Contains(ev, "assigned by z2@c.test: assigned to cat@p.test by round-robin") {
		t.Errorf("events of #2 lack the round-robin assignment:\n%s", ev)
	}
}

// TestAssignOnAnswer: an agent's answer makes an unassigned ticket hers,
// unless the property turned that off; an assigned ticket keeps its
// assignee.
func TestAssignOnAnswer(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	for _, n := range []string{"ann", "bob", "cat"} {
		no := false
		if _, err := f.d.SetMember(ctx, f.prop, f.as("ann"), n+"@p.test", MemberChange{Available: &no}); err != nil {
			t.Fatal(err)
		}
	}
	f.open(t, "z1@c.test")
	f.open(t, "z2@c.test")
	tk, err := f.do(f.as("bob"), 1, func(o *Op, t *ticket.Ticket) error { return o.Answered(t) })
	if err != nil || tk.Assignee != "bob@p.test" || tk.Status != ticket.StatusAnswered {
		t.Errorf("bob answers unassigned #1: %s, %s, %v; want bob's, answered", tk.Assignee, tk.Status, err)
	}
	if tk, _ = f.do(f.as("cat"), 1, func(o *Op, t *ticket.Ticket) error { return o.Answered(t) }); tk.Assignee != "bob@p.test" {
		t.Errorf("cat answers bob's #1: it became %s's", tk.Assignee)
	}
	if _, err := f.do(f.as("bob"), 2, func(o *Op, t *ticket.Ticket) error { return o.Answered(t) }); err != nil {
		t.Fatal(err)
	}
	if err := f.d.SetAssignOnAnswer(ctx, f.prop, f.as("bob"), false); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent turns assign-on-answer off: %v, want ErrForbidden", err)
	}
	if err := f.d.SetAssignOnAnswer(ctx, f.prop, f.as("ann"), false); err != nil {
		t.Fatal(err)
	}
	f.prop, _ = f.st.Property(ctx, "p")
	f.open(t, "z3@c.test")
	if tk, _ = f.do(f.as("cat"), 3, func(o *Op, t *ticket.Ticket) error { return o.Answered(t) }); tk.Assignee != "" {
		t.Errorf("with assign-on-answer off, cat's answer made #3 %s's", tk.Assignee)
	}
}

// TestDeleteIsForAdmins: an agent may not delete (a clear refusal, nothing
// changed); an admin deletes and undeletes, and the log says who.
func TestDeleteIsForAdmins(t *testing.T) {
	f := newTeamFixture(t)
	f.open(t, "z1@c.test")
	_, err := f.do(f.as("bob"), 1, func(o *Op, t *ticket.Ticket) error { return o.Delete(t) })
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "only admins may delete") {
		t.Errorf("bob deletes: %v, want ErrForbidden saying only admins may delete", err)
	}
	tk, err := f.do(f.as("ann"), 1, func(o *Op, t *ticket.Ticket) error { return o.Delete(t) })
	if err != nil || tk.Status != ticket.StatusDeleted {
		t.Fatalf("ann deletes: %s, %v", tk.Status, err)
	}
	if _, err := f.do(f.as("bob"), 1, func(o *Op, t *ticket.Ticket) error { return o.Undelete(t) }); !errors.Is(err, ErrForbidden) {
		t.Errorf("bob undeletes: %v, want ErrForbidden", err)
	}
	if tk, err = f.do(f.as("ann"), 1, func(o *Op, t *ticket.Ticket) error { return o.Undelete(t) }); err != nil || tk.Status != ticket.StatusOpen {
		t.Errorf("ann undeletes: %s, %v; want open", tk.Status, err)
	}
	ev := f.events(t, tk)
	for _, w := range []string{"status by ann@p.test: open → deleted: deleted by ann@p.test", "status by ann@p.test: deleted → open: undeleted by ann@p.test"} {
		if !strings.Contains(ev, w) {
			t.Errorf("events lack %q:\n%s", w, ev)
		}
	}
}

// TestSpamSender: marking a ticket spam marks its requester; her next new
// ticket (from a +detail too) opens in Spam, unrouted, with no copy or
// acknowledgement; unmarking frees her.
func TestSpamSender(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	f.open(t, "spammer@c.test")
	tk, err := f.do(f.as("bob"), 1, func(o *Op, t *ticket.Ticket) error { return o.MarkSpam(t) })
	if err != nil || tk.Status != ticket.StatusSpam {
		t.Fatalf("mark spam: %s, %v", tk.Status, err)
	}
	next := f.open(t, "Spammer+x@c.test")
	if next.Status != ticket.StatusSpam || next.Assignee != "" {
		t.Errorf("the spam sender's next ticket: %s, assigned %q; want spam, unassigned", next.Status, next.Assignee)
	}
	var queued int
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		q := outbox.Queue{Keys: f.d.keys, Tx: tx, Prop: f.prop, Count: &queued, AcksPerHour: 10}
		c, err := tx.Contact(f.prop.ID, "spammer+x@c.test", "")
		if err != nil {
			return err
		}
		if err := q.Acknowledge(next, c, false); err != nil {
			return err
		}
		return q.Copies(next, 0, 0)
	})
	if err != nil || queued != 0 {
		t.Errorf("a spam ticket's acknowledgement and copies queued %d rows (%v), want none", queued, err)
	}
	if _, err := f.do(f.as("bob"), 1, func(o *Op, t *ticket.Ticket) error { return o.UnmarkSpam(t) }); err != nil {
		t.Fatal(err)
	}
	if again := f.open(t, "spammer@c.test"); again.Status != ticket.StatusOpen {
		t.Errorf("after unmarking, her ticket is %s, want open", again.Status)
	}
}

// TestMembersAreManagedByAdmins: only admins change members; the last admin
// stays one; anyone adds to a team without an admin, only admins to one
// with.
func TestMembersAreManagedByAdmins(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	capacity, agent := 3, ticket.RoleAgent
	if _, err := f.d.SetMember(ctx, f.prop, f.as("bob"), "cat@p.test", MemberChange{Capacity: &capacity}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent sets a capacity: %v, want ErrForbidden", err)
	}
	m, err := f.d.SetMember(ctx, f.prop, f.as("ann"), "cat@p.test", MemberChange{Capacity: &capacity})
	if err != nil || m.Capacity != 3 || !m.Available {
		t.Errorf("ann sets cat's capacity: %+v, %v", m, err)
	}
	if _, err := f.d.SetMember(ctx, f.prop, f.as("ann"), "ann@p.test", MemberChange{Role: &agent}); !errors.Is(err, ErrInvalid) {
		t.Errorf("the last admin makes herself an agent: %v, want ErrInvalid", err)
	}
	bad := -1
	if _, err := f.d.SetMember(ctx, f.prop, f.as("ann"), "cat@p.test", MemberChange{Capacity: &bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("capacity -1: %v, want ErrInvalid", err)
	}
	if err := f.d.ManageTeam(ctx, f.prop, Actor{}, "add members"); !errors.Is(err, ErrForbidden) {
		t.Errorf("nobody named adds a member to a team with an admin: %v, want ErrForbidden", err)
	}
	if err := f.d.ManageTeam(ctx, f.prop, f.as("bob"), "add members"); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent adds a member: %v, want ErrForbidden", err)
	}
	if err := f.d.ManageTeam(ctx, f.prop, f.as("ann"), "add members"); err != nil {
		t.Errorf("an admin adds a member: %v", err)
	}
	q, err := f.st.AddProperty(ctx, ticket.Property{Slug: "q", Name: "Q", Addresses: []string{"help@q.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.d.ManageTeam(ctx, q, Actor{}, "add members"); err != nil {
		t.Errorf("the first member of a property without an admin: %v", err)
	}
}

// TestHandOffWinsOverAnswer: an agent who answers and, in the same
// operation, gives the ticket to a department or to nobody does not take
// it back by answering.
func TestHandOffWinsOverAnswer(t *testing.T) {
	f := newTeamFixture(t)
	f.open(t, "z1@c.test") // ann's, by round-robin
	f.open(t, "z2@c.test") // bob's
	tk, err := f.do(f.as("ann"), 1, func(o *Op, t *ticket.Ticket) error {
		if err := o.AssignDepartment(t, "support", "yours"); err != nil {
			return err
		}
		return o.Answered(t)
	})
	if err != nil || tk.Assignee != "" || tk.Department != "Support" {
		t.Errorf("ann answers with #assign support: %q in %q, %v; want unassigned in Support", tk.Assignee, tk.Department, err)
	}
	tk, err = f.do(f.as("bob"), 2, func(o *Op, t *ticket.Ticket) error {
		if err := o.Unassign(t); err != nil {
			return err
		}
		return o.Answered(t)
	})
	if err != nil || tk.Assignee != "" {
		t.Errorf("bob answers and unassigns: %q, %v; want unassigned", tk.Assignee, err)
	}
}

// TestUnassignedOnPurposeIsNotRouted: a ticket opened by hand with
// Unassigned stays with its department; round-robin does not route it.
func TestUnassignedOnPurposeIsNotRouted(t *testing.T) {
	f := newTeamFixture(t)
	var tk ticket.Ticket
	err := f.d.Run(context.Background(), f.prop, f.as("bob"), func(o *Op) error {
		var err error
		tk, _, err = o.Create(NewTicket{Requester: "zoe@c.test", NewContact: true, Subject: "call", Text: "She called.", Unassigned: true, NoMail: true})
		return err
	})
	if err != nil || tk.AssigneeID != 0 {
		t.Errorf("created --unassigned: assigned %q, %v; want unassigned", tk.Assignee, err)
	}
	if routed := f.open(t, "z1@c.test"); routed.Assignee != "ann@p.test" {
		t.Errorf("the next mail's ticket went to %q, want ann (the rotation did not move)", routed.Assignee)
	}
}
