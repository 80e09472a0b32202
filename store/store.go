// Package store owns postdesk's persistence: every SQL statement of the
// project lives here, and this is the only package that imports a database
// driver (modernc.org/sqlite, pure Go).
//
// The database runs in WAL mode with synchronous=FULL: a transaction that has
// committed is on disk. All writes go through one writer goroutine that groups
// the transactions of concurrent callers into one database transaction (group
// commit), each caller's work isolated by a savepoint, so that many SMTP
// sessions share the cost of one fsync. Reads use a separate pool.
//
// Schema changes are versioned migrations embedded from migrations/*.sql.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver, registered as "sqlite"
)

//go:embed migrations/*.sql
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
	Path string
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's lock
	// before failing (the caller answers 451). Zero means 10 seconds.
	BusyTimeout time.Duration
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
	w      *sql.DB // the single writer connection
	r      *sql.DB // readers
	wstmts *stmtCache
	rstmts *stmtCache
	cache  *cache
	log    *slog.Logger
	now    func() time.Time

	jobs     chan *job
	maxBatch int
	onBatch  func(jobs int, took time.Duration)
	stop     chan struct{}
	wg       sync.WaitGroup
	closeMu  sync.Once

	hookMu sync.Mutex
	hookCh chan struct{} // closed and replaced when events commit (HookSignal)
}

// Open opens (creating if needed) the database at opts.Path, applies pending
// migrations and starts the writer. Close stops it.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("open store: no database path")
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o750); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
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
	var err error
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	if s.w, err = sql.Open("sqlite", dsn(opts.Path, true, busy)); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// One goroutine writes, through one connection. A second connection
	// exists only so that database/sql can prepare a statement while the
	// writer's transaction holds the first (see stmt.go); it never writes.
	s.w.SetMaxOpenConns(2)
	s.w.SetMaxIdleConns(2)
	s.w.SetConnMaxLifetime(0)
	if s.r, err = sql.Open("sqlite", dsn(opts.Path, false, busy)); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.r.SetMaxOpenConns(8)
	s.r.SetMaxIdleConns(8)
	s.wstmts, s.rstmts = newStmtCache(s.w), newStmtCache(s.r)
	s.cache = newCache(s.now)
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("open store %s: %w", opts.Path, err)
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// pageSize is the database page size, fixed when the file is created.
// Measured (BENCHMARKS.md): 16 KiB pages, though fewer write(2) calls per
// commit, were slower than 4 KiB for both 2 KB and 100 KB messages.
const pageSize = 4096

// dsn builds the modernc.org/sqlite connection string. The writer begins its
// transactions IMMEDIATE so that a second process (an admin command while
// serve runs) waits on busy_timeout instead of failing on lock upgrade.
func dsn(path string, writer bool, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", "page_size("+strconv.Itoa(pageSize)+")") // takes effect when the file is created
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath escapes the characters that end or alter the path of an SQLite
// URI filename ("?" starts the query, "#" the fragment, "%" an escape), so
// that a data directory holding them opens the file it names.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
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

// migrate applies the embedded migrations that the database has not seen, in
// order, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", base)
		}
		if err := s.applyMigration(ctx, version, name); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, filepath.Base(name), ms(s.now())); err != nil {
		return err
	}
	s.log.Info("applied migration", "version", version, "name", filepath.Base(name))
	return tx.Commit()
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
