package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// column is what TestSchemasAgree compares of a column in both dialects.
type column struct {
	typ     string // bigint, text or bytea
	notNull bool
}

// sqliteSearchMachinery tells whether a SQLite table is FTS5's (its
// virtual tables and their shadow tables) or the queue that feeds it:
// PostgreSQL indexes a tsvector column instead (migration 0022).
func sqliteSearchMachinery(table string) bool {
	return table == "fts_pending" || strings.HasPrefix(table, "message_fts") || strings.HasPrefix(table, "contact_fts")
}

// postgresEventOrder tells whether a PostgreSQL table or column is the
// numbering of desk events in commit order (migration 0025, store/hooks.go):
// SQLite's one writer commits in id order and needs none.
func postgresEventOrder(table, column string) bool {
	return table == "hook_event_clock" || table == "hook_events" && column == "position"
}

// sqliteColumns reads every table's columns of a migrated SQLite database.
// A primary key column is NOT NULL, as PostgreSQL makes it (SQLite's
// table_info reports what was declared).
func sqliteColumns(t *testing.T, db *sql.DB) map[string]map[string]column {
	t.Helper()
	rows, err := db.Query(`SELECT m.name, p.name, upper(p.type), p."notnull", p.pk
		FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types := map[string]string{"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}
	out := map[string]map[string]column{}
	for rows.Next() {
		var table, name, typ string
		var notNull, pk int
		if err := rows.Scan(&table, &name, &typ, &notNull, &pk); err != nil {
			t.Fatal(err)
		}
		if sqliteSearchMachinery(table) {
			continue
		}
		if types[typ] != "" {
			typ = types[typ]
		}
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][name] = column{typ: typ, notNull: notNull != 0 || pk > 0}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// postgresColumns reads every table's columns of a migrated PostgreSQL
// database, but for the tsvector columns of full-text search.
func postgresColumns(t *testing.T, db *sql.DB) map[string]map[string]column {
	t.Helper()
	rows, err := db.Query(`SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
		FROM information_schema.columns c JOIN information_schema.tables tb
		  ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND tb.table_type = 'BASE TABLE' AND c.data_type != 'tsvector'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]column{}
	for rows.Next() {
		var table, name, typ, nullable string
		if err := rows.Scan(&table, &name, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][name] = column{typ: typ, notNull: nullable == "NO"}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// schemaDiff lists how two schemas differ, one line a difference, sorted.
func schemaDiff(lite, pg map[string]map[string]column) []string {
	var diff []string
	for table, cols := range lite {
		if pg[table] == nil {
			diff = append(diff, fmt.Sprintf("table %s: only on SQLite", table))
			continue
		}
		for name, c := range cols {
			p, ok := pg[table][name]
			switch {
			case !ok:
				diff = append(diff, fmt.Sprintf("%s.%s: only on SQLite", table, name))
			case p != c:
				diff = append(diff, fmt.Sprintf("%s.%s: SQLite %s (not null %v), PostgreSQL %s (not null %v)",
					table, name, c.typ, c.notNull, p.typ, p.notNull))
			}
		}
		for name := range pg[table] {
			if _, ok := cols[name]; !ok && !postgresEventOrder(table, name) {
				diff = append(diff, fmt.Sprintf("%s.%s: only on PostgreSQL", table, name))
			}
		}
	}
	for table := range pg {
		if lite[table] == nil && !postgresEventOrder(table, "") {
			diff = append(diff, fmt.Sprintf("table %s: only on PostgreSQL", table))
		}
	}
	sort.Strings(diff)
	return diff
}

// TestSchemasAgree: every migration of both dialects applies, and they
// leave the same tables with the same columns, types (INTEGER is BIGINT)
// and nullability, but for the search machinery that differs by design
// (FTS5's tables and queue on SQLite, tsvector columns on PostgreSQL).
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	lite, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "lite.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	liteCols := sqliteColumns(t, lite.r)
	if len(liteCols) == 0 || liteCols["tickets"] == nil {
		t.Fatalf("SQLite schema has no tickets table: %v", liteCols)
	}
	if !onPostgres() {
		t.Skipf("PostgreSQL half skipped: runs in the suite's PostgreSQL pass (set %s)", postgresEnv)
	}
	pg, err := Open(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if diff := schemaDiff(liteCols, postgresColumns(t, pg.r)); len(diff) > 0 {
		t.Errorf("the dialects' schemas differ:\n%s", strings.Join(diff, "\n"))
	}
}

// TestMigrationsAsDatabaseOwner: on PostgreSQL, a database owner who is
// not a superuser can apply every step (unaccent is a trusted extension),
// on a database created from template0, so that the extension is not
// there before.
func TestMigrationsAsDatabaseOwner(t *testing.T) {
	if !onPostgres() {
		t.Skipf("PostgreSQL only: runs in the suite's PostgreSQL pass (set %s)", postgresEnv)
	}
	b := testBackend
	name := fmt.Sprintf("pdtest_%d_owner", os.Getpid())
	for _, q := range []string{
		`CREATE ROLE ` + name + ` LOGIN NOSUPERUSER PASSWORD 'owner'`,
		`CREATE DATABASE ` + name + ` OWNER ` + name + ` TEMPLATE template0`,
	} {
		if _, err := b.admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`, `DROP ROLE IF EXISTS ` + name} {
			if _, err := b.admin.Exec(q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	cfg, err := pgx.ParseConfig(b.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://%s:owner@%s:%d/%s?sslmode=disable", name, cfg.Host, cfg.Port, name)
	st, err := Open(context.Background(), Options{Database: url})
	if err != nil {
		t.Fatalf("migrate as the database's owner: %v", err)
	}
	defer st.Close()
	var super bool
	if err := st.r.QueryRow(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Fatalf("the owner is a superuser (%v, %v)", super, err)
	}
	if n, _ := indexedMatches(t, st, "nothing"); n != 0 {
		t.Errorf("an empty database finds %d contacts", n)
	}
}
