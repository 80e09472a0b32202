package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migration is one numbered schema step of a dialect.
type migration struct {
	version int
	name    string // the file's base name
	file    string // its path in migrationFiles
}

// migrations lists a dialect's steps in order.
func migrations(d dialect) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/"+d.String()+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("bad migration name %s", base)
		}
		out = append(out, migration{version: version, name: base, file: name})
	}
	return out, nil
}

// Applied names the migrations that Open applied, in order (none when the
// database was up to date), for `postdesk migrate`.
func (s *Store) Applied() []string { return s.applied }

// migrate applies the embedded migrations that the database has not seen, in
// order, each in its own transaction, on one connection. On PostgreSQL that
// connection holds an advisory lock meanwhile, so that gateways starting
// together apply each step once and wait for each other; on SQLite the
// writer's IMMEDIATE transactions serialize them.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := migrations(s.dialect)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.dialect.lockMigrations(ctx, conn, s.log)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, s.dialect.migrationsTable()); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range steps {
		done, err := s.applyMigration(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if done {
			s.applied = append(s.applied, m.name)
		}
	}
	return nil
}

// applyMigration applies one step unless the database has it, and reports
// whether it did.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	body, err := migrationFiles.ReadFile(m.file)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, ms(s.now())); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	s.log.Info("applied migration", "dialect", s.dialect.String(), "version", m.version, "name", m.name)
	return true, nil
}
