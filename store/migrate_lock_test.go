package store

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestMigrationLockOutwaitsBusyTimeout: a gateway starting while another
// holds the migration lock (a long step) for longer than the busy timeout
// waits for it, then opens.
func TestMigrationLockOutwaitsBusyTimeout(t *testing.T) {
	if !onPostgres() {
		t.Skip("the migration lock is PostgreSQL's")
	}
	opts := testOptions(t)
	cfg, err := pgx.ParseConfig(opts.Database)
	if err != nil {
		t.Fatal(err)
	}
	other := stdlib.OpenDB(*cfg)
	defer other.Close()
	ctx := context.Background()
	holder, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	type opened struct {
		st  *Store
		err error
	}
	done := make(chan opened, 1)
	go func() {
		opts.BusyTimeout = 100 * time.Millisecond
		st, err := Open(ctx, opts)
		done <- opened{st, err}
	}()
	select {
	case o := <-done:
		t.Fatalf("Open returned while another held the migration lock: %v", o.err)
	case <-time.After(time.Second): // 10 busy timeouts
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("Open after the lock was released: %v", o.err)
		}
		o.st.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("Open still waiting 10s after the lock was released")
	}
	// The lock is free again: the Store released it.
	var got bool
	if err := holder.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLock).Scan(&got); err != nil || !got {
		t.Fatalf("migration lock after Open: got %v, %v; want it free", got, err)
	}
}
