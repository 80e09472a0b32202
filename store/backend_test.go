package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The store's suite runs twice (TestMain): on SQLite, then on PostgreSQL
// when POSTDESK_TEST_POSTGRES names a server (.ci/run starts one), each
// test on a database of its own, copied from one migrated template.
const postgresEnv = "POSTDESK_TEST_POSTGRES"

// backend is the database the current run of the suite uses.
type backend struct {
	pgURL    string  // the server's URL; empty on SQLite
	admin    *sql.DB // creates and drops the tests' databases
	template string  // the migrated database each test copies
	next     atomic.Int64
}

// testBackend is set by TestMain between the two runs and read only by tests.
var testBackend = &backend{}

func TestMain(m *testing.M) {
	url := os.Getenv(postgresEnv) // read before m.Run, so that go test's cache keys on it
	code := m.Run()
	if code != 0 || url == "" {
		if url == "" {
			fmt.Printf("store: PostgreSQL suite skipped: set %s=postgres://user:password@127.0.0.1:5432/postgres to run it\n", postgresEnv)
		}
		os.Exit(code)
	}
	pg, err := newPostgresBackend(url)
	if err != nil {
		fmt.Printf("store: PostgreSQL suite cannot run: %v\n", err)
		os.Exit(1)
	}
	testBackend = pg
	fmt.Println("store: running the suite again on PostgreSQL")
	code = m.Run()
	pg.close()
	os.Exit(code)
}

// newPostgresBackend connects to the server and builds the template.
func newPostgresBackend(url string) (*backend, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	b := &backend{pgURL: url, admin: stdlib.OpenDB(*cfg), template: fmt.Sprintf("pdtest_%d_template", os.Getpid())}
	if err := b.admin.Ping(); err != nil {
		return nil, fmt.Errorf("%s unreachable: %w", postgresEnv, err)
	}
	if _, err := b.admin.Exec(`CREATE DATABASE ` + b.template); err != nil {
		return nil, err
	}
	st, err := Open(context.Background(), Options{Database: b.url(b.template)})
	if err != nil {
		return nil, fmt.Errorf("migrate the template: %w", err)
	}
	return b, st.Close()
}

// url is the server's URL naming database name.
func (b *backend) url(name string) string {
	u, _ := databaseURL(b.pgURL, name) // pgURL parsed in newPostgresBackend
	return u
}

func (b *backend) close() {
	b.admin.Exec(`DROP DATABASE IF EXISTS ` + b.template + ` WITH (FORCE)`)
	b.admin.Close()
}

// testOptions returns the options of a fresh, empty, migrated database on
// the suite's backend; opening them twice opens the same database.
func testOptions(t testing.TB) Options {
	t.Helper()
	b := testBackend
	if b.pgURL == "" {
		return Options{Path: filepath.Join(t.TempDir(), "t.db")}
	}
	name := fmt.Sprintf("pdtest_%d_%d", os.Getpid(), b.next.Add(1))
	if _, err := b.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + b.template); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := b.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	t.Logf("on PostgreSQL, database %s", name)
	return Options{Database: b.url(name)}
}

// onPostgres reports whether the suite runs on PostgreSQL.
func onPostgres() bool { return testBackend.pgURL != "" }

// sqliteOnly skips a test of SQLite itself (its files, its query plans).
func sqliteOnly(t testing.TB) {
	t.Helper()
	if onPostgres() {
		t.Skip("tests SQLite itself; the PostgreSQL run has its own")
	}
}

// exec runs a statement written for the store's dialect directly, for tests
// that break or inspect a database on purpose.
func (s *Store) testExec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := s.w.Exec(s.dialect.rebind(query), s.dialect.args(args)...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
