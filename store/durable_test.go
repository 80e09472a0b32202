package store

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestSynchronousCommitOn: on a server whose default for the database is
// synchronous_commit = off (a commit may return before it is on disk), the
// store's writer still commits with it on: a message is answered 250
// only once PostgreSQL has it on disk.
func TestSynchronousCommitOn(t *testing.T) {
	if !onPostgres() {
		t.Skip("synchronous_commit is PostgreSQL's")
	}
	opts := testOptions(t)
	first := openWith(t, opts)
	var name string
	if err := first.w.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	first.testExec(t, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` SET synchronous_commit = off`)
	cfg, err := pgx.ParseConfig(opts.Database)
	if err != nil {
		t.Fatal(err)
	}
	plain := stdlib.OpenDB(*cfg)
	defer plain.Close()
	if got := showSyncCommit(t, plain); got != "off" {
		t.Fatalf("a plain connection to the database has synchronous_commit = %q, want the database's default off", got)
	}
	st := openWith(t, opts)
	var got string
	err = st.Update(context.Background(), func(tx *Tx) error {
		return tx.queryRow(`SHOW synchronous_commit`).Scan(&got)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != "on" {
		t.Errorf("the store's writer commits with synchronous_commit = %q, want on", got)
	}
}

func openWith(t *testing.T, opts Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func showSyncCommit(t *testing.T, db *sql.DB) string {
	t.Helper()
	var v string
	if err := db.QueryRow(`SHOW synchronous_commit`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
