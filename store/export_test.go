package store

import "testing"

// FreshOptions gives the package's external tests (package store_test,
// which may import the packages above store) the options of a fresh,
// migrated database on the suite's backend: opening them twice opens the
// same database, as two gateways do.
func FreshOptions(t testing.TB) Options { return testOptions(t) }

// OnPostgres reports whether the suite runs on PostgreSQL.
func OnPostgres() bool { return onPostgres() }

// ExecForTest runs a statement in the transaction, for external tests that
// need the database in a state no exported method makes (a lock held).
func (tx *Tx) ExecForTest(query string, args ...any) error {
	_, err := tx.exec(query, args...)
	return err
}
