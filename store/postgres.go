package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgres reports whether a --database value names a PostgreSQL
// database (a postgres:// or postgresql:// URL).
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// openPostgres connects to the PostgreSQL database at url: a writer pool
// of two connections (one writes; see openSQLite) and up to 8 readers.
// Every connection commits with synchronous_commit on, whatever the
// server's default, so a commit that returned is on the server's disk; a
// write waits at most busy for a row another gateway has locked
// (lock_timeout), then fails, and the SMTP session answers 451.
func (s *Store) openPostgres(ctx context.Context, url string, busy time.Duration) error {
	if !IsPostgres(url) {
		return fmt.Errorf("database %q: want a postgres:// URL", url)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("database: %w", err) // pgx leaves the password out
	}
	s.dialect = postgres
	s.where = fmt.Sprintf("postgres://%s@%s/%s", cfg.User, hostPort(cfg.Host, cfg.Port), cfg.Database)
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["synchronous_commit"] = "on"
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(busy.Milliseconds(), 10)
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "postdesk"
	}
	s.w = stdlib.OpenDB(*cfg)
	s.w.SetMaxOpenConns(2)
	s.w.SetMaxIdleConns(2)
	s.r = stdlib.OpenDB(*cfg)
	s.r.SetMaxOpenConns(8)
	s.r.SetMaxIdleConns(8)
	// A connection that outlives a server restart is found broken on its
	// next use; database/sql then opens another.
	for _, db := range []*sql.DB{s.w, s.r} {
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		s.r.Close()
		return fmt.Errorf("%s: %w", s.where, err)
	}
	return nil
}

func hostPort(host string, port uint16) string {
	return host + ":" + strconv.Itoa(int(port))
}

// retryable reports whether a transaction failed only because it met
// another's: a deadlock or a serialization failure between gateways, which
// running it again resolves.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}
