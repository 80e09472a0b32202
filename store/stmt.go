package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// SQLite parses a statement each time it is prepared, and that parse cost
// more than running the statement on the delivery path. Statements are
// therefore prepared once and kept: for the writer, on its single
// connection; for readers, as *sql.Stmt, which database/sql prepares once
// per pooled connection.
type stmtCache struct {
	mu      sync.Mutex
	db      *sql.DB
	dialect dialect
	stmts   map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, d dialect) *stmtCache {
	return &stmtCache{db: db, dialect: d, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, c.dialect.rebind(query))
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// stmt returns query prepared for this transaction.
func (tx *Tx) stmt(query string) (*sql.Stmt, error) {
	st, err := tx.s.wstmts.get(tx.ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.tx.StmtContext(tx.ctx, st), nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(tx.ctx, tx.s.dialect.args(args)...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(tx.ctx, tx.s.dialect.args(args)...)
}

// row is a *sql.Row, or the error of preparing it.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (tx *Tx) queryRow(query string, args ...any) row {
	st, err := tx.stmt(query)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(tx.ctx, tx.s.dialect.args(args)...)}
}

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row of a query's result; what names the query in
// errors.
func collect[T any](what string, rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.rstmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, s.dialect.args(args)...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) row {
	st, err := s.rstmts.get(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, s.dialect.args(args)...)}
}

// queryOnce runs a read that is built per call (a list's filters), so not
// worth keeping prepared: on PostgreSQL it is planned for its arguments at
// every call (dialect.plannedPerCall).
func (s *Store) queryOnce(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.r.QueryContext(ctx, s.dialect.rebind(query), s.dialect.plannedPerCall(s.dialect.args(args))...)
}
