package desk

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// composeFixture is a store with property acme, agents alice and bob, and
// admin carol (all in the default department), and a Desk on it.
type composeFixture struct {
	st                *store.Store
	d                 *Desk
	prop              ticket.Property
	alice, bob, carol ticket.Member
}

func newComposeFixture(t *testing.T) *composeFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme Support", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test", TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	f := &composeFixture{st: st, prop: prop}
	for _, m := range []struct {
		to   *ticket.Member
		addr string
		name string
		role ticket.Role
	}{{&f.alice, "alice@acme.test", "Alice Liddell", ticket.RoleAgent}, {&f.bob, "bob@acme.test", "Bob", ticket.RoleAgent},
		{&f.carol, "carol.admin@acme.test", "", ticket.RoleAdmin}} {
		if *m.to, err = st.AddMember(ctx, "acme", ticket.Member{Email: m.addr, Name: m.name, Role: m.role}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	f.d = New(Options{Store: st, Keys: keys})
	return f
}

// run runs fn as a in one transaction.
func (f *composeFixture) run(a Actor, fn func(*Op) error) error {
	return f.d.Run(context.Background(), f.prop, a, fn)
}

// create opens a ticket as alice.
func (f *composeFixture) create(t *testing.T, n NewTicket) ticket.Ticket {
	t.Helper()
	var tk ticket.Ticket
	if err := f.run(AsMember(f.alice), func(o *Op) error {
		var err error
		tk, _, err = o.Create(n)
		return err
	}); err != nil {
		t.Fatalf("Create(%+v): %v", n, err)
	}
	return tk
}

// outbox lists who was queued what about ticket id, as "kind rcpt".
func (f *composeFixture) outbox(t *testing.T, id int64) []string {
	t.Helper()
	rows, err := f.st.Outbox(context.Background(), f.prop.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.TicketID == id {
			out = append(out, r.Kind+" "+r.Rcpt)
		}
	}
	slices.Sort(out)
	return out
}

// notices lists the pending notices as "rcpt: subject".
func (f *composeFixture) notices(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	groups, err := f.st.DueNoticeGroups(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		for _, g := range groups {
			ns, err := tx.PendingNotices(g)
			if err != nil {
				return err
			}
			for _, n := range ns {
				out = append(out, n.Rcpt+": "+n.Subject)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestCreateMailsTheCustomer: a ticket opened by hand for a new contact is
// assigned as asked, its first message is the member's and goes to the
// customer; the department gets copies while it is unassigned, never the
// creator.
func TestCreateMailsTheCustomer(t *testing.T) {
	f := newComposeFixture(t)
	tk := f.create(t, NewTicket{Requester: "Zoe@Customer.test", NewContact: true, Name: "Zoe Smith", Phone: "+44 20 7946 0000",
		Subject: "Your order 1234", Text: "Hello Zoe,\nyour order is late.", Priority: ticket.PriorityHigh, Tags: []string{"Orders"},
		Unassigned: true, Files: []File{{Name: "/tmp/x/label.pdf", Data: []byte("%PDF-1.4 label")}}})
	if tk.Status != ticket.StatusAnswered || tk.AssigneeID != 0 || tk.Priority != ticket.PriorityHigh || !slices.Equal(tk.Tags, []string{"orders"}) {
		t.Errorf("ticket %+v: want answered, unassigned, high, tagged orders", tk)
	}
	if got, want := f.outbox(t, tk.ID), []string{"copy bob@acme.test", "copy carol.admin@acme.test", "reply zoe@customer.test"}; !slices.Equal(got, want) {
		t.Errorf("outbox %q, want %q", got, want)
	}
	msgs, err := f.st.Messages(context.Background(), tk.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %d, %v", len(msgs), err)
	}
	m := msgs[0]
	if m.Kind != ticket.KindEmail || m.Direction != ticket.Outbound || m.AuthorEmail != "alice@acme.test" {
		t.Errorf("first message %s %s by %s, want an outbound email by alice", m.Direction, m.Kind, m.AuthorEmail)
	}
	atts, err := f.st.Attachments(context.Background(), m.ID)
	if err != nil || len(atts) != 1 || atts[0].Filename != "label.pdf" || atts[0].ContentType != "application/pdf" {
		t.Errorf("attachments %+v, %v; want label.pdf as application/pdf", atts, err)
	}
	parts, err := f.st.TicketParticipants(context.Background(), tk.ID)
	if err != nil || len(parts) != 1 || parts[0].Name != "Zoe Smith" || parts[0].Phone != "+44 20 7946 0000" {
		t.Errorf("participants %+v, %v", parts, err)
	}
}

// TestCreateDefaultsAndPhoneCalls: the creator is the assignee by default
// (so nobody gets a copy), and --no-mail keeps the message as a phone call
// note that is mailed to nobody.
func TestCreateDefaultsAndPhoneCalls(t *testing.T) {
	f := newComposeFixture(t)
	tk := f.create(t, NewTicket{Requester: "dan@customer.test", NewContact: true, Subject: "Hi", Text: "Hello"})
	if tk.Assignee != "alice@acme.test" {
		t.Errorf("assignee %q, want the creator", tk.Assignee)
	}
	if got := f.outbox(t, tk.ID); !slices.Equal(got, []string{"reply dan@customer.test"}) {
		t.Errorf("outbox %q, want only the customer's mail", got)
	}
	call := f.create(t, NewTicket{Requester: "dan@customer.test", Subject: "Called about the invoice", Text: "He wants a copy.",
		NoMail: true, Assignee: "bob@acme.test"})
	if got := f.outbox(t, call.ID); len(got) != 0 {
		t.Errorf("--no-mail queued %q, want nothing", got)
	}
	if call.Status != ticket.StatusOpen || call.Assignee != "bob@acme.test" {
		t.Errorf("phone call ticket %s assigned to %q, want open, bob", call.Status, call.Assignee)
	}
	msgs, err := f.st.Messages(context.Background(), call.ID)
	if err != nil || len(msgs) != 1 || msgs[0].Kind != ticket.KindNote || msgs[0].Thread != PhoneCall {
		t.Errorf("phone call message %+v, %v; want a note marked %q", msgs, err, PhoneCall)
	}
}

// TestCreateRefuses: what Create refuses, and with which error.
func TestCreateRefuses(t *testing.T) {
	f := newComposeFixture(t)
	ok := NewTicket{Requester: "eve@customer.test", NewContact: true, Subject: "S", Text: "T"}
	tests := []struct {
		name string
		as   Actor
		n    func(NewTicket) NewTicket
		kind error
		msg  string
	}{
		{"unknown contact", AsMember(f.alice), func(n NewTicket) NewTicket { n.NewContact = false; return n }, ErrNotFound, "not a contact"},
		{"no subject", AsMember(f.alice), func(n NewTicket) NewTicket { n.Subject = " "; return n }, ErrInvalid, "subject"},
		{"two-line subject", AsMember(f.alice), func(n NewTicket) NewTicket { n.Subject = "a\nb"; return n }, ErrInvalid, "one line"},
		{"no text", AsMember(f.alice), func(n NewTicket) NewTicket { n.Text = ""; return n }, ErrInvalid, "message"},
		{"bad address", AsMember(f.alice), func(n NewTicket) NewTicket { n.Requester = "eve"; return n }, ErrInvalid, "not an email address"},
		{"a member", AsMember(f.alice), func(n NewTicket) NewTicket { n.Requester = "bob@acme.test"; return n }, ErrInvalid, "is a member"},
		{"own address", AsMember(f.alice), func(n NewTicket) NewTicket { n.Requester = "support+x@acme.test"; return n }, ErrInvalid, "address of acme"},
		{"unknown topic", AsMember(f.alice), func(n NewTicket) NewTicket { n.Topic = "weather"; return n }, ErrNotFound, "no topic"},
		{"unknown department", AsMember(f.alice), func(n NewTicket) NewTicket { n.Department = "Sales"; return n }, ErrNotFound, "no department"},
		{"unknown assignee", AsMember(f.alice), func(n NewTicket) NewTicket { n.Assignee = "zed@acme.test"; return n }, ErrNotFound, "not a member"},
		{"both assignments", AsMember(f.alice), func(n NewTicket) NewTicket { n.Assignee = "bob@acme.test"; n.Unassigned = true; return n }, ErrInvalid, "not both"},
		{"bad phone", AsMember(f.alice), func(n NewTicket) NewTicket { n.Phone = "call me"; return n }, ErrInvalid, "phone"},
		{"bad tag", AsMember(f.alice), func(n NewTicket) NewTicket { n.Tags = []string{"two words"}; return n }, ErrInvalid, "tag"},
		{"a contact", AsContact(ticket.Contact{ID: 1, PropertyID: f.prop.ID, Email: "eve@customer.test"}), func(n NewTicket) NewTicket { return n }, ErrForbidden, "only a member"},
	}
	for _, tt := range tests {
		err := f.run(tt.as, func(o *Op) error {
			_, _, err := o.Create(tt.n(ok))
			return err
		})
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %v saying %q", tt.name, err, tt.kind, tt.msg)
		}
	}
	if ts, err := f.st.Tickets(context.Background(), "acme", ""); err != nil || len(ts) != 0 {
		t.Errorf("refused creations left %d tickets (%v)", len(ts), err)
	}
}

// TestReplyAndNote: a reply from the desk goes to the customer and to the
// other members involved; a note to no customer, and its @mentions tell
// the members they name (never the author), whatever they are called.
func TestReplyAndNote(t *testing.T) {
	f := newComposeFixture(t)
	tk := f.create(t, NewTicket{Requester: "zoe@customer.test", NewContact: true, Subject: "Order", Text: "Hello", Unassigned: true})
	before := f.outbox(t, tk.ID)
	var err error
	if _, err = f.d.Do(context.Background(), f.prop, AsMember(f.bob), tk.Number, func(o *Op, t *ticket.Ticket) error {
		_, err := o.Reply(t, "Shipped today.", nil, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rows := f.outbox(t, tk.ID)
	if got, want := added(before, rows), []string{"copy alice@acme.test", "reply zoe@customer.test"}; !slices.Equal(got, want) {
		t.Errorf("bob's reply queued %q, want %q", got, want)
	}
	_, err = f.d.Do(context.Background(), f.prop, AsMember(f.alice), tk.Number, func(o *Op, t *ticket.Ticket) error {
		_, err := o.Note(t, "@BOB can you check? cc @carol.admin, and @alice (me). Mail bob@acme.test.", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range added(rows, f.outbox(t, tk.ID)) {
		if strings.HasPrefix(r, "reply") || strings.HasSuffix(r, "alice@acme.test") {
			t.Errorf("the note queued %q: a note goes to no customer, nothing to its author", r)
		}
	}
	want := []string{"bob@acme.test: Mentioned: [#1] Order", "carol.admin@acme.test: Mentioned: [#1] Order"}
	if got := f.notices(t); !slices.Equal(got, want) {
		t.Errorf("notices %q, want %q", got, want)
	}
}

// TestReplyRecipientLimit: an answer to more addresses than the limit is
// refused, nothing stored or sent.
func TestReplyRecipientLimit(t *testing.T) {
	f := newComposeFixture(t)
	tk := f.create(t, NewTicket{Requester: "zoe@customer.test", NewContact: true, Subject: "Order", Text: "Hello"})
	n := len(f.outbox(t, tk.ID))
	_, err := f.d.Do(context.Background(), f.prop, AsMember(f.alice), tk.Number, func(o *Op, t *ticket.Ticket) error {
		_, err := o.Reply(t, "Hi", nil, 0)
		if err == nil {
			_, err = o.Reply(t, "Hi again", nil, 1) // one participant: within a limit of 1
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.run(AsMember(f.alice), func(o *Op) error {
		c, err := o.Tx.Contact(f.prop.ID, "yan@customer.test", "")
		if err != nil {
			return err
		}
		return o.Tx.AddParticipant(tk.ID, c.ID, "cc")
	})
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.outbox(t, tk.ID))
	_, err = f.d.Do(context.Background(), f.prop, AsMember(f.alice), tk.Number, func(o *Op, t *ticket.Ticket) error {
		_, err := o.Reply(t, "To both", nil, 1)
		return err
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than the limit of 1") {
		t.Errorf("reply to 2 addresses with a limit of 1: %v", err)
	}
	if after := len(f.outbox(t, tk.ID)); after != before || before <= n {
		t.Errorf("outbox %d → %d rows", before, after)
	}
}

// added returns the rows of after that are not in before (both sorted).
func added(before, after []string) []string {
	var out []string
	for _, r := range after {
		if i := slices.Index(before, r); i >= 0 {
			before = slices.Delete(slices.Clone(before), i, i+1)
			continue
		}
		out = append(out, r)
	}
	return out
}

func TestMentions(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@bob please", "bob"},
		{"thanks @Bob.", "bob"},
		{"mail bob@acme.test", ""},
		{"(@alice.liddell) and @bob-smith!", "alice.liddell,bob-smith"},
		{"@bob @BOB @bob", "bob"},
		{"@ alone, @@x, x@@y", "x,y"},
		{"über @jürgen", "jürgen"},
	}
	for _, tt := range tests {
		if got := strings.Join(Mentions(tt.in), ","); got != tt.want {
			t.Errorf("Mentions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	alice := ticket.Member{Email: "a.liddell@acme.test", Name: "Alice Liddell"}
	for word, want := range map[string]bool{"alice": true, "ALICE": true, "a.liddell": true, "liddell": false, "alice liddell": false} {
		if got := Mentioned(word, alice); got != want {
			t.Errorf("Mentioned(%q, %s) = %v, want %v", word, alice.Name, got, want)
		}
	}
}
