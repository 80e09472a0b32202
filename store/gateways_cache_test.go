package store

import (
	"context"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestCacheSeesOtherGateway: an admin change made through one Store (a
// property and its address added, a member's role changed) is seen
// through another Store on the same database within 2 seconds of its
// commit, even when that Store's clock stands still (a gateway on a fake
// clock): the cache's lifetime is real time.
func TestCacheSeesOtherGateway(t *testing.T) {
	opts := testOptions(t)
	a := openWith(t, opts)
	frozen := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	opts.Now = func() time.Time { return frozen }
	b := openWith(t, opts)
	ctx := context.Background()
	p, err := a.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.AddMember(ctx, "acme", ticket.Member{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := b.CachedPropertyByAddress(ctx, "help@beta.test"); err != nil || found {
		t.Fatalf("help@beta.test before it is added: found %v, %v", found, err)
	}
	if got, _, err := b.CachedMember(ctx, p, "bob@acme.test"); err != nil || got.Role != ticket.RoleAgent {
		t.Fatalf("bob before the change: %q, %v", got.Role, err)
	}
	if _, err := a.AddProperty(ctx, ticket.Property{Slug: "beta", Name: "Beta", Addresses: []string{"help@beta.test"}, TagFormat: "[#%d]"}); err != nil {
		t.Fatal(err)
	}
	m.Role = ticket.RoleAdmin
	if err := a.Update(ctx, func(tx *Tx) error { return tx.UpdateMember(m) }); err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	seen := func() bool {
		_, found, err := b.CachedPropertyByAddress(ctx, "help@beta.test")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := b.CachedMember(ctx, p, "bob@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		return found && got.Role == ticket.RoleAdmin
	}
	for !seen() {
		if time.Since(committed) > 3*time.Second {
			t.Fatalf("the other Store does not see the changes %v after their commit", time.Since(committed))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(committed); took > cacheTTL+50*time.Millisecond {
		t.Errorf("the other Store saw the changes %v after their commit, want within %v", took, cacheTTL)
	} else {
		t.Logf("seen %v after the commit", took.Round(time.Millisecond))
	}
}
