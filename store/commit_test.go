package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestGroupCommitIsolatesFailures: many concurrent transactions share
// commits; the one that fails (or panics) leaves nothing behind, and every
// other one is committed.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Update(ctx, func(tx *Tx) error {
				if _, err := tx.Contact(p.ID, fmt.Sprintf("c%d@x.test", i), ""); err != nil {
					return err
				}
				switch i {
				case 7:
					return errors.New("job 7 fails after writing")
				case 13:
					panic("job 13 panics after writing")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 7 || i == 13) {
			t.Errorf("job %d: %v", i, err)
		}
	}
	var n int
	if err := st.r.QueryRow(`SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil || n != 62 {
		t.Errorf("%d contacts stored (%v), want 62: the failed jobs' writes undone, the others kept", n, err)
	}
	for _, bad := range []string{"c7@x.test", "c13@x.test"} {
		var one int
		err := st.r.QueryRow(st.dialect.rebind(`SELECT 1 FROM contacts WHERE email = ?`), bad).Scan(&one)
		if err == nil {
			t.Errorf("%s was stored by a failed job", bad)
		} else if !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("look for %s: %v", bad, err)
		}
	}
}
