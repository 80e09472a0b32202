package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// postgresEnv names the PostgreSQL server the e2e tests on PostgreSQL use,
// as a superuser's URL (.ci/run starts one and sets it).
const postgresEnv = "POSTDESK_TEST_POSTGRES"

// pgDatabases numbers the databases this test process creates.
var pgDatabases atomic.Int64

// newPostgresDB creates a fresh, empty database on the server named by
// POSTDESK_TEST_POSTGRES and returns its URL; it is dropped when the test
// ends. Without the variable the test is skipped.
func newPostgresDB(t *testing.T) string {
	t.Helper()
	server := os.Getenv(postgresEnv)
	if server == "" {
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://user:password@127.0.0.1:5432/postgres (.ci/run does)", postgresEnv)
	}
	return createPostgresDB(t, server)
}

// createPostgresDB creates a fresh database on server, dropped at cleanup.
func createPostgresDB(t *testing.T, server string) string {
	t.Helper()
	name := fmt.Sprintf("pde2e_%d_%d", os.Getpid(), pgDatabases.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := store.CreateDatabase(ctx, server, name)
	if err != nil {
		t.Fatalf("create a test database on %s: %v", postgresEnv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.DropDatabase(ctx, server, name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	t.Logf("on PostgreSQL, database %s", name)
	return url
}

// startServerOn is startServer on the PostgreSQL database db (--database),
// with dataDir for the gateway's own files (its spool).
func startServerOn(t *testing.T, db, dataDir string, extra ...string) *server {
	t.Helper()
	return startServer(t, dataDir, append([]string{"--database", db}, extra...)...)
}

// cliOn runs a postdesk command on the PostgreSQL database db.
func cliOn(t *testing.T, db string, args ...string) string {
	t.Helper()
	return cli(t, t.TempDir(), append(args, "--database", db)...)
}

// openStoreOn opens the PostgreSQL database db for a test's checks.
func openStoreOn(t *testing.T, db string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Database: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
