package store

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Where names the database the Store uses, for logs and command output:
// the SQLite file's path, or postdesk's PostgreSQL URL without its password
// (postgres://user@host:port/name).
func (s *Store) Where() string { return s.where }

// Dialect names the database's SQL dialect: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.String() }

// IntegrityCheck names what fills CheckReport.IntegrityErrors on this
// database, for `postdesk check` to say what it checked: SQLite's PRAGMA
// quick_check (every page, index and constraint), or on PostgreSQL the
// indexes left invalid, which is all it finds without the amcheck
// extension. It follows Check's integrity query.
func (s *Store) IntegrityCheck() string { return s.dialect.integrityCheckName() }

// MigrationCounts returns how many rows schema_migrations holds for each
// step version: 1 for each step applied once (a check for gateways that
// migrated together).
func (s *Store) MigrationCounts(ctx context.Context) (map[int]int, error) {
	rows, err := s.query(ctx, `SELECT version, COUNT(*) FROM schema_migrations GROUP BY version`)
	if err != nil {
		return nil, fmt.Errorf("migration counts: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("migration counts: %w", err)
		}
		out[v] = n
	}
	return out, rows.Err()
}

// databaseName is what CreateDatabase and DropDatabase accept: a plain
// lower-case identifier, so that it needs no quoting.
var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates the empty database name on the PostgreSQL server
// that serverURL reaches (as a role that may create databases) and returns
// the URL of the new database: for tests and setup tools that need a fresh
// database of their own.
func CreateDatabase(ctx context.Context, serverURL, name string) (string, error) {
	if err := adminExec(ctx, serverURL, name, `CREATE DATABASE `+name); err != nil {
		return "", err
	}
	return databaseURL(serverURL, name)
}

// databaseURL is the URL of database name on the server serverURL reaches,
// as the same role.
func databaseURL(serverURL, name string) (string, error) {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: "postgres", Host: hostPort(cfg.Host, cfg.Port), Path: "/" + name, RawQuery: "sslmode=disable"}
	u.User = url.UserPassword(cfg.User, cfg.Password)
	if cfg.Password == "" {
		u.User = url.User(cfg.User)
	}
	return u.String(), nil
}

// DropDatabase drops the database name on the server that serverURL
// reaches, closing its sessions (WITH (FORCE), PostgreSQL 13 and later).
func DropDatabase(ctx context.Context, serverURL, name string) error {
	return adminExec(ctx, serverURL, name, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
}

// adminExec runs one statement about database name on the server.
func adminExec(ctx context.Context, serverURL, name, statement string) error {
	if !databaseName.MatchString(name) {
		return fmt.Errorf("database name %q: want lower-case letters, digits and _", name)
	}
	if !IsPostgres(serverURL) {
		return fmt.Errorf("server %q: want a postgres:// URL", serverURL)
	}
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		return fmt.Errorf("%s: %w", statement, err)
	}
	return nil
}
