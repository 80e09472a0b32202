// Package store owns postdesk's persistence: every SQL statement of the
// project lives here, and this is the only package that imports a database
// driver. It speaks two dialects behind one API: SQLite (modernc.org/sqlite,
// pure Go), the embedded default, one file under the data directory; and
// PostgreSQL (github.com/jackc/pgx/v5), for several gateways on one
// database (postgres.go).
//
// A transaction that has committed is on disk: SQLite runs in WAL mode with
// synchronous=FULL, PostgreSQL with synchronous_commit on. All writes of a
// Store go through one writer goroutine that groups the transactions of
// concurrent callers into one database transaction (group commit), so that
// many SMTP sessions share the cost of one fsync. Reads use a separate pool.
//
// Schema changes are versioned migrations embedded from
// migrations/<dialect>/NNNN_name.sql: the same numbered steps in each
// dialect (TestMigrationsPaired).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Errors returned by the store.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrClosed   = errors.New("store closed")
)

// Options configures a Store.
type Options struct {
	// Path is the SQLite database file; its directory is created if needed.
	// It is not used when Database is set.
	Path string
	// Database, when set, is the URL of a PostgreSQL database
	// (postgres://user:password@host:port/name?sslmode=…) used instead of
	// the SQLite file: several gateways may share it.
	Database string
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's lock
	// before failing (the caller answers 451). Zero means 10 seconds.
	BusyTimeout time.Duration
	// TxTimeout bounds one writer transaction, from its begin to its
	// commit: past it the transaction is cancelled (on PostgreSQL pgx
	// interrupts the connection) and its callers fail, so that a network
	// to the database that stalls without a reset does not hold the one
	// writer, and every SMTP session, for minutes. Zero means twice the
	// busy timeout.
	TxTimeout time.Duration
	// MaxBatch caps how many callers' transactions are committed together.
	// Zero means 128.
	MaxBatch int
	// OnBatch, when set, is told of each group commit of the writer: how
	// many callers' transactions it held and how long it took (for
	// metrics). It runs on the writer and must not block.
	OnBatch func(jobs int, took time.Duration)
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	dialect dialect
	where   string  // the database, for errors and logs (no password)
	w       *sql.DB // the single writer connection
	r       *sql.DB // readers
	wstmts  *stmtCache
	rstmts  *stmtCache
	cache   *cache
	log     *slog.Logger
	now     func() time.Time

	jobs      chan *job
	maxBatch  int
	txTimeout time.Duration // bounds each writer transaction (Options.TxTimeout)
	onBatch   func(jobs int, took time.Duration)
	stop      chan struct{}
	wg        sync.WaitGroup
	closeMu   sync.Once

	applied []string // the migrations Open applied (Applied)

	hookMu sync.Mutex
	hookCh chan struct{} // closed and replaced when events commit (HookSignal)
}

// Open opens the database (creating an SQLite file if needed), applies
// pending migrations and starts the writer. Close stops it.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{
		log:      opts.Logger,
		now:      opts.Now,
		maxBatch: opts.MaxBatch,
		onBatch:  opts.OnBatch,
		jobs:     make(chan *job),
		stop:     make(chan struct{}),
		hookCh:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBatch <= 0 {
		s.maxBatch = 128
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	s.txTimeout = opts.TxTimeout
	if s.txTimeout <= 0 {
		s.txTimeout = 2 * busy
	}
	var err error
	if opts.Database != "" {
		err = s.openPostgres(ctx, opts.Database, busy)
	} else {
		err = s.openSQLite(opts.Path, busy)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.wstmts, s.rstmts = newStmtCache(s.w, s.dialect), newStmtCache(s.r, s.dialect)
	s.cache = newCache(time.Now) // real time: see cacheTTL
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("open store %s: %w", s.where, err)
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Close stops the writer after the transactions already submitted and closes
// the database.
func (s *Store) Close() error {
	s.closeMu.Do(func() { close(s.stop) })
	s.wg.Wait()
	s.wstmts.close()
	s.rstmts.close()
	return errors.Join(s.w.Close(), s.r.Close())
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// ms converts a time to the stored form, Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// joinList and splitList store short lists (addresses, Message-IDs, warnings)
// in one column, one item a line.
func joinList(l []string) string { return strings.Join(l, "\n") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Ping checks that the database answers a read and the writer commits a
// transaction (it takes the write lock and commits; a full disk fails the
// commit): what a gateway needs to accept mail (/readyz). Unlike Update,
// it returns when ctx is done even if its transaction was submitted: a
// probe must answer in its time while another process holds the lock. The
// transaction then ends alone, within the busy timeout.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Update(ctx, func(*Tx) error { return nil }) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("the writer did not commit in time: %w", ctx.Err())
	}
}
