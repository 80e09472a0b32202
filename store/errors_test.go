package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

var errRollback = errors.New("roll back")

// TestSuppressedReportsErrors: a failing suppression lookup is an error,
// not "not suppressed" (which would send mail to a suppressed address).
func TestSuppressedReportsErrors(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Suppress(ticket.Suppression{PropertyID: p.ID, Address: "gone@example.com", Reason: "5.1.1"}); err != nil {
			return err
		}
		if got, err := tx.Suppressed(p.ID, "Gone@example.com"); !got || err != nil {
			t.Errorf("Suppressed after Suppress = %v, %v; want true", got, err)
		}
		if _, err := tx.exec(`DROP TABLE suppressions`); err != nil {
			return err
		}
		if got, err := tx.Suppressed(p.ID, "gone@example.com"); err == nil {
			t.Errorf("Suppressed with the table gone = %v, nil; want an error", got)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// TestExistsReportsErrors: only "no rows" is "does not exist".
func TestExistsReportsErrors(t *testing.T) {
	st := openTest(t)
	err := st.Update(context.Background(), func(tx *Tx) error {
		if found, err := tx.exists(`SELECT 1 FROM properties WHERE slug = ?`, "none"); found || err != nil {
			t.Errorf("exists(no row) = %v, %v; want false, nil", found, err)
		}
		if _, err := tx.exists(`SELECT 1 FROM no_such_table WHERE x = ?`, 1); err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Errorf("exists(broken query) error = %v, want the database's error", err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// TestAddValidates: the store refuses what the domain calls invalid, whoever
// the caller.
func TestAddValidates(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"Display <d@x.test>"}}); err == nil {
		t.Error("AddProperty accepted the address \"Display <d@x.test>\"")
	}
	if _, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[%d/%d]"}); err == nil {
		t.Errorf("AddProperty accepted the tag format %q", "[%d/%d]")
	}
	if _, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, "p", ticket.Member{Email: "notanemail", Role: ticket.RoleAgent}, "test"); err == nil {
		t.Error("AddMember accepted notanemail")
	}
	if _, err := st.AddDepartment(ctx, "p", ticket.Department{Name: strings.Repeat("d", 10000)}, "test"); err == nil {
		t.Error("AddDepartment accepted a 10 KB name")
	}
}
