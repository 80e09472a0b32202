package desk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fixture is a desk on a real SQLite file with one property, an admin, an
// agent and tickets opened through Op.Open.
type fixture struct {
	t      *testing.T
	st     *store.Store
	d      *Desk
	prop   ticket.Property
	admin  Actor
	agent  Actor
	before int // how many tickets the fixture opened
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "desk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("desk test key 0123456")})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, d: New(Options{Store: st, Keys: keys})}
	if f.prop, err = st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}, TagFormat: "[#%d]"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []ticket.Member{{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAdmin}, {Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}} {
		m, err := st.AddMember(ctx, "acme", m, "test")
		if err != nil {
			t.Fatal(err)
		}
		if m.Role == ticket.RoleAdmin {
			f.admin = AsMember(m)
		} else {
			f.agent = AsMember(m)
		}
	}
	return f
}

// open opens a ticket for email with one message, as that contact would by
// mail, and returns its number.
func (f *fixture) open(email, subject string, messages int) int64 {
	f.t.Helper()
	var n int64
	err := f.d.Run(context.Background(), f.prop, AsSystem("test"), func(o *Op) error {
		c, err := o.Tx.Contact(f.prop.ID, email, "")
		if err != nil {
			return err
		}
		tk := ticket.Ticket{Subject: subject, Status: ticket.StatusOpen}
		if err := o.Open(&tk, c, "test"); err != nil {
			return err
		}
		for i := 0; i < messages; i++ {
			m := &ticket.Message{PropertyID: f.prop.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
				AuthorID: c.ID, AuthorEmail: c.Email, MessageID: subject + string(rune('a'+i)) + "@c.test", Subject: "Re: " + subject}
			if err := o.Tx.InsertMessage(m, nil); err != nil {
				return err
			}
		}
		n = tk.Number
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) ticket(n int64) ticket.Ticket {
	f.t.Helper()
	tk, err := f.st.Ticket(context.Background(), "acme", n)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func (f *fixture) events(n int64) string {
	f.t.Helper()
	evs, err := f.st.Events(context.Background(), f.ticket(n).ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var lines []string
	for _, e := range evs {
		lines = append(lines, e.Kind+" by "+e.Actor+": "+e.Detail)
	}
	return strings.Join(lines, "\n")
}

func TestMerge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.open("ann@c.test", "printer", 2)
	b := f.open("ann@c.test", "printer again", 1)
	target, err := f.d.Merge(ctx, f.prop, f.agent, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if target.Number != b {
		t.Errorf("Merge returned #%d, want the target #%d", target.Number, b)
	}
	src := f.ticket(a)
	if src.MergedInto != target.ID || src.Status != ticket.StatusClosed || src.ClosedReason != ticket.ClosedCancelled || src.ClosedBy != "bob@acme.test" {
		t.Errorf("the merged ticket: merged_into %d, %s as %q by %q", src.MergedInto, src.Status, src.ClosedReason, src.ClosedBy)
	}
	msgs, _ := f.st.Messages(ctx, target.ID)
	if len(msgs) != 3 {
		t.Errorf("the target has %d messages, want 3", len(msgs))
	}
	if ev := f.events(a); !strings.Contains(ev, "merged by bob@acme.test: merged into #2") {
		t.Errorf("the merged ticket's log lacks the merge:\n%s", ev)
	}
	ev := f.events(b)
	for _, want := range []string{"merged by bob@acme.test: merged #1 into this ticket", "created by postdesk (test): test"} {
		if !strings.Contains(ev, want) {
			t.Errorf("the target's log lacks %q:\n%s", want, ev)
		}
	}

	c := f.open("carl@c.test", "other", 1)
	refusals := []struct {
		name           string
		actor          Actor
		source, target int64
		kind           error
		msg            string
	}{
		{"into itself", f.agent, c, c, ErrInvalid, "into itself"},
		{"into a merged ticket", f.agent, c, a, ErrInvalid, "merged into another ticket"},
		{"a merged ticket", f.agent, a, c, ErrInvalid, "merged into another ticket"},
		{"by a contact", AsContact(ticket.Contact{PropertyID: f.prop.ID, Email: "ann@c.test"}), c, b, ErrForbidden, "only members"},
		{"a missing ticket", f.agent, 99, b, ErrNotFound, "#99"},
	}
	for _, r := range refusals {
		_, err := f.d.Merge(ctx, f.prop, r.actor, r.source, r.target)
		if !errors.Is(err, r.kind) || !strings.Contains(err.Error(), r.msg) {
			t.Errorf("merge %s: %v, want %v naming %q", r.name, err, r.kind, r.msg)
		}
	}
	// A deleted ticket is no target.
	err = f.d.Run(ctx, f.prop, f.admin, func(o *Op) error { return o.Tx.SetStatus(f.ticket(c).ID, ticket.StatusDeleted) })
	if err != nil {
		t.Fatal(err)
	}
	d := f.open("dan@c.test", "x", 1)
	if _, err := f.d.Merge(ctx, f.prop, f.agent, d, c); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("merge into a deleted ticket: %v", err)
	}
	// Nor is a ticket of another property: the numbers are looked up in
	// the acting property, and a member of another is refused.
	other, err := f.st.AddProperty(ctx, ticket.Property{Slug: "other", Name: "O", Addresses: []string{"o@o.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Merge(ctx, other, f.agent, d, b); !errors.Is(err, ErrForbidden) {
		t.Errorf("merge in another property: %v, want ErrForbidden", err)
	}
	var s, tg ticket.Ticket
	s, tg = f.ticket(d), f.ticket(b)
	tg.PropertyID = other.ID
	err = f.d.Run(ctx, f.prop, f.agent, func(o *Op) error { return o.Merge(&s, &tg) })
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "two properties") {
		t.Errorf("Op.Merge across properties: %v", err)
	}
}

func TestSplit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := f.open("ann@c.test", "two things", 2)
	msgs, _ := f.st.Messages(ctx, f.ticket(n).ID)
	nt, err := f.d.Split(ctx, f.prop, f.agent, n, msgs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if nt.Number == n || nt.Requester != "ann@c.test" || nt.Subject != "two things" || nt.Status != ticket.StatusOpen {
		t.Errorf("the new ticket: %+v", nt)
	}
	moved, _ := f.st.Messages(ctx, nt.ID)
	if len(moved) != 1 || moved[0].ID != msgs[1].ID {
		t.Errorf("the new ticket's messages %v, want message %d", moved, msgs[1].ID)
	}
	if ev := f.events(n); !strings.Contains(ev, "split by bob@acme.test: message") || !strings.Contains(ev, "new ticket "+nt.Ref()) {
		t.Errorf("the old ticket's log lacks the split:\n%s", ev)
	}
	if ev := f.events(nt.Number); !strings.Contains(ev, "created by bob@acme.test: split from #1") {
		t.Errorf("the new ticket's log lacks its origin:\n%s", ev)
	}
	for _, r := range []struct {
		name string
		n    int64
		id   int64
		msg  string
	}{
		{"the only message", n, msgs[0].ID, "only message"},
		{"a message of another ticket", n, msgs[1].ID, "has no message"},
	} {
		if _, err := f.d.Split(ctx, f.prop, f.agent, r.n, r.id); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), r.msg) {
			t.Errorf("split %s: %v, want ErrInvalid naming %q", r.name, err, r.msg)
		}
	}
}

func TestCustomFieldOps(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := f.open("ann@c.test", "order", 1)
	if _, err := f.d.AddField(ctx, f.prop, f.agent, ticket.Field{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldText}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent defines a field: %v, want ErrForbidden", err)
	}
	if _, err := f.d.AddField(ctx, f.prop, f.admin, ticket.Field{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldChoice}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a choice field without choices: %v, want ErrInvalid", err)
	}
	for _, fd := range []ticket.Field{
		{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldChoice, Choices: []string{"Gold", "Silver"}},
		{For: ticket.FieldForTicket, Name: "amount", Type: ticket.FieldNumber},
		{For: ticket.FieldForContact, Name: "birthday", Type: ticket.FieldDate},
	} {
		if _, err := f.d.AddField(ctx, f.prop, f.admin, fd); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.d.AddField(ctx, f.prop, f.admin, ticket.Field{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldText}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a second field plan: %v, want ErrInvalid", err)
	}
	set := func(name, value string) (ticket.Ticket, error) {
		return f.d.Do(ctx, f.prop, f.agent, n, func(o *Op, t *ticket.Ticket) error { return o.SetField(t, name, value) })
	}
	tk, err := set("plan", "gold")
	if err != nil || tk.Fields["plan"] != "Gold" {
		t.Errorf("set plan gold: %v, %v", tk.Fields, err)
	}
	if tk, err = set("amount", "12.50"); err != nil || tk.Fields["amount"] != "12.5" || tk.Fields["plan"] != "Gold" {
		t.Errorf("set amount: %v, %v", tk.Fields, err)
	}
	for _, bad := range [][2]string{{"amount", "twelve"}, {"plan", "Bronze"}, {"color", "red"}, {"birthday", "2000-01-01"}} {
		if _, err := set(bad[0], bad[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("set %s %q: %v, want ErrInvalid", bad[0], bad[1], err)
		}
	}
	if tk, err = set("plan", ""); err != nil || tk.Fields["plan"] != "" {
		t.Errorf("clear plan: %v, %v", tk.Fields, err)
	}
	ev := f.events(n)
	for _, want := range []string{`field by bob@acme.test: plan: "" → "Gold"`, `field by bob@acme.test: amount: "" → "12.5"`, `plan: "Gold" → ""`} {
		if !strings.Contains(ev, want) {
			t.Errorf("log lacks %q:\n%s", want, ev)
		}
	}
	c, err := f.d.SetContactField(ctx, f.prop, f.agent, "ann@c.test", "birthday", "1990-05-01")
	if err != nil || c.Fields["birthday"] != "1990-05-01" {
		t.Errorf("contact field: %v, %v", c.Fields, err)
	}
	if _, err := f.d.SetContactField(ctx, f.prop, f.agent, "ann@c.test", "birthday", "May 1st"); !errors.Is(err, ErrInvalid) {
		t.Errorf("contact field with a bad date: %v", err)
	}
	if _, err := f.d.SetContactField(ctx, f.prop, f.agent, "nobody@c.test", "birthday", "1990-05-01"); !errors.Is(err, ErrNotFound) {
		t.Errorf("field of an unknown contact: %v", err)
	}
}

func TestContactOps(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.open("ann@c.test", "one", 1)
	f.open("ann@home.test", "two", 1)
	name, phone := "Ann Smith", "+44 (20) 7946-0000"
	c, err := f.d.EditContact(ctx, f.prop, f.agent, "ANN@c.test", ContactEdit{Name: &name, Phone: &phone})
	if err != nil || c.Name != name || c.Phone != phone {
		t.Errorf("edit: %+v, %v", c, err)
	}
	for _, hostile := range []string{"Ann\x1b[2J", "Ann\a", "Ann\tSmith", "Ann\x00", "Ann \xff"} {
		if _, err := f.d.EditContact(ctx, f.prop, f.agent, "ann@c.test", ContactEdit{Name: &hostile}); !errors.Is(err, ErrInvalid) {
			t.Errorf("edit with the name %q: %v, want ErrInvalid (as ticket create refuses it)", hostile, err)
		}
	}
	bad := "call me"
	if _, err := f.d.EditContact(ctx, f.prop, f.agent, "ann@c.test", ContactEdit{Phone: &bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("edit with a bad phone: %v", err)
	}
	if err := f.d.NoteContact(ctx, f.prop, f.agent, "ann@home.test", "VIP"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.NoteContact(ctx, f.prop, f.agent, "ann@home.test", "  "); !errors.Is(err, ErrInvalid) {
		t.Errorf("an empty note: %v", err)
	}
	if _, err := f.d.MergeContacts(ctx, f.prop, f.agent, "ann@home.test", "ann@home.test"); !errors.Is(err, ErrInvalid) {
		t.Errorf("merge into itself: %v", err)
	}
	into, err := f.d.MergeContacts(ctx, f.prop, f.agent, "ann@home.test", "ann@c.test")
	if err != nil || into.Email != "ann@c.test" {
		t.Fatalf("merge: %+v, %v", into, err)
	}
	for _, r := range [][2]string{{"ann@home.test", "ann@c.test"}, {"ann@c.test", "ann@home.test"}} {
		if _, err := f.d.MergeContacts(ctx, f.prop, f.agent, r[0], r[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("merge %s into %s again: %v, want ErrInvalid", r[0], r[1], err)
		}
	}
	tl, err := f.st.Timeline(ctx, into.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl {
		got = append(got, e.Kind+":"+e.Author+":"+e.Text)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"note:bob@acme.test:merged the contact ann@home.test", "note:bob@acme.test:VIP",
		`note:bob@acme.test:edited: name "" → "Ann Smith", phone "" → "+44 (20) 7946-0000"`} {
		if !strings.Contains(all, want) {
			t.Errorf("timeline lacks %q:\n%s", want, all)
		}
	}
	if tk := f.ticket(2); tk.Requester != "ann@c.test" {
		t.Errorf("#2's requester is %s after the merge", tk.Requester)
	}
}

// TestAssignNoteBounded: an assignment's note goes into the ticket's log
// and the assignee's mail, so it is bounded as a contact's note is; the
// refused assignment changes nothing.
func TestAssignNoteBounded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := f.open("ann@c.test", "one", 1)
	bob := f.agent.Member
	_, err := f.d.Do(ctx, f.prop, f.admin, n, func(o *Op, tk *ticket.Ticket) error {
		return o.Assign(tk, bob, strings.Repeat("a", maxContactNote+1))
	})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("assign with a %d-byte note: %v, want ErrInvalid", maxContactNote+1, err)
	}
	tk, err := f.d.Do(ctx, f.prop, f.admin, n, func(o *Op, tk *ticket.Ticket) error {
		return o.Assign(tk, bob, strings.Repeat("a", maxContactNote))
	})
	if err != nil || tk.Assignee != bob.Email {
		t.Fatalf("assign with a note at the limit: %+v, %v", tk, err)
	}
}
