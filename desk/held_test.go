package desk

import (
	"context"
	"errors"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestHeldAndSuppressionRoles: held mail is released by admins only (the
// release function is never called for anyone else), discarded by any
// member, and a suppression cleared by admins only; nobody (the zero
// actor) and another property's member do neither.
func TestHeldAndSuppressionRoles(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	hold := func(subject string) int64 {
		t.Helper()
		err := f.st.Update(ctx, func(tx *store.Tx) error {
			return tx.HoldMail(&ticket.HeldMail{PropertyID: f.prop.ID, Reason: "test", Sender: "bob@p.test", Subject: subject})
		})
		if err != nil {
			t.Fatal(err)
		}
		held, err := f.st.Held(ctx, f.prop.ID, false)
		if err != nil || len(held) == 0 {
			t.Fatalf("held: %v %+v", err, held)
		}
		return held[0].ID
	}
	id := hold("forged")
	called := 0
	release := func(ctx context.Context, h ticket.HeldMail, by string, withCommands bool) (int64, error) {
		called++
		return 0, f.st.Update(ctx, func(tx *store.Tx) error { return tx.ResolveHeld(f.prop.ID, h.ID, ticket.HeldReleased, by) })
	}
	outsider := AsMember(ticket.Member{ID: 99, PropertyID: f.prop.ID + 1, Email: "eve@q.test", Role: ticket.RoleAdmin})
	for name, a := range map[string]Actor{"agent": f.as("bob"), "nobody": {}, "outsider": outsider,
		"contact": AsContact(ticket.Contact{PropertyID: f.prop.ID, Email: "c@x.test"})} {
		if _, err := f.d.ReleaseHeld(ctx, f.prop, a, id, false, release); err == nil {
			t.Errorf("%s released held mail", name)
		}
		if err := f.d.ClearSuppression(ctx, f.prop, a, "x@x.test"); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%s clearing a suppression: %v, want refused", name, err)
		}
	}
	if called != 0 {
		t.Fatalf("the release ran %d times for those refused", called)
	}
	if _, err := f.d.ReleaseHeld(ctx, f.prop, f.as("ann"), id, true, release); err != nil || called != 1 {
		t.Fatalf("the admin's release: %v (called %d)", err, called)
	}
	if _, err := f.d.ReleaseHeld(ctx, f.prop, f.as("ann"), id, false, release); !errors.Is(err, ErrInvalid) {
		t.Errorf("releasing released mail: %v, want ErrInvalid", err)
	}
	id = hold("spam")
	if err := f.d.DiscardHeld(ctx, f.prop, Actor{}, id); err == nil {
		t.Error("nobody discarded held mail")
	}
	if err := f.d.DiscardHeld(ctx, f.prop, f.as("cat"), id); err != nil {
		t.Errorf("an agent's discard: %v", err)
	}
	if h, _ := f.st.HeldByID(ctx, f.prop.ID, id); h.Status != ticket.HeldDiscarded || h.ResolvedBy != "cat@p.test" {
		t.Errorf("discarded mail = %+v", h)
	}
	if err := f.d.ClearSuppression(ctx, f.prop, f.as("ann"), "x@x.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("clearing an address not suppressed: %v, want ErrNotFound", err)
	}
}

// TestTeamSetup: while a property has no admin, nobody named (the CLI
// without --as) adds its first admin, recorded as team setup; then only
// an admin adds members and departments.
func TestTeamSetup(t *testing.T) {
	ctx := context.Background()
	f := newTeamFixture(t)
	q, err := f.st.AddProperty(ctx, ticket.Property{Slug: "q", Name: "Q", Addresses: []string{"help@q.test"}})
	if err != nil {
		t.Fatal(err)
	}
	boss, err := f.d.AddMember(ctx, q, Unnamed("team setup by root"), ticket.Member{Email: "Boss@q.test", Role: "Admin"})
	if err != nil || boss.Email != "boss@q.test" || boss.Role != ticket.RoleAdmin {
		t.Fatalf("first admin: %+v, %v", boss, err)
	}
	if _, err := f.d.AddMember(ctx, q, Unnamed("team setup by root"), ticket.Member{Email: "eve@q.test", Role: ticket.RoleAdmin}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a second member without an admin: %v, want ErrForbidden", err)
	}
	if _, err := f.d.AddMember(ctx, q, f.as("ann"), ticket.Member{Email: "eve@q.test", Role: ticket.RoleAgent}); !errors.Is(err, ErrForbidden) {
		t.Errorf("another property's admin: %v, want ErrForbidden", err)
	}
	if _, err := f.d.AddMember(ctx, f.prop, f.as("bob"), ticket.Member{Email: "eve@p.test", Role: ticket.RoleAgent}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent adding a member: %v, want ErrForbidden", err)
	}
	if _, err := f.d.AddMember(ctx, f.prop, f.as("ann"), ticket.Member{Email: "bob@p.test", Role: ticket.RoleAgent}); !errors.Is(err, ErrExists) {
		t.Errorf("adding a member twice: %v, want ErrExists", err)
	}
	if _, err := f.d.AddDepartment(ctx, f.prop, f.as("bob"), ticket.Department{Name: "Sales"}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent adding a department: %v, want ErrForbidden", err)
	}
	if _, err := f.d.AddDepartment(ctx, f.prop, f.as("ann"), ticket.Department{Name: "Sales", Members: []string{"bob@p.test"}}); err != nil {
		t.Errorf("the admin adding a department: %v", err)
	}
	log, err := f.st.AuditLog(ctx, q.ID, 10)
	if err != nil || len(log) != 1 || log[0].Actor != "postdesk (team setup by root)" {
		t.Errorf("q's audit log: %+v, %v; want the first admin added by the team setup", log, err)
	}
}
