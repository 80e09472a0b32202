package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// dialect is the SQL a database speaks. Most statements are written once,
// in SQL both accept (placeholders as ?, or ?N to repeat an argument, which
// rebind turns into PostgreSQL's $N); the few that must differ ask the
// Store's dialect.
type dialect int

const (
	sqlite dialect = iota
	postgres
)

// String is the dialect's name, also its migrations directory.
func (d dialect) String() string {
	if d == postgres {
		return "postgres"
	}
	return "sqlite"
}

// rebind rewrites the placeholders of query for d: on PostgreSQL, ? becomes
// $1, $2, … in order and ?N becomes $N. Question marks inside quoted
// strings and identifiers are left alone.
func (d dialect) rebind(query string) string {
	if d != postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
				i = j - 1
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// args converts arguments to what d stores: PostgreSQL keeps flags in
// integer columns, as SQLite does, and refuses a Go bool for one; and its
// text holds only valid UTF-8 without NUL, where SQLite keeps any bytes,
// so a string of mail (a header decoded as sent) is stored with each NUL
// and invalid byte sequence replaced by U+FFFD (textOf). The raw message
// keeps the bytes as received (BYTEA).
//
// The caller's slice is left as it was: a converted copy is returned.
func (d dialect) args(args []any) []any {
	if d != postgres {
		return args
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case bool:
			if v {
				out[i] = int64(1)
			} else {
				out[i] = int64(0)
			}
		case string:
			out[i] = textOf(v)
		default:
			out[i] = a
		}
	}
	return out
}

// stored is s as d stores it in a text column: on PostgreSQL, textOf. A
// string read back is compared with what was asked in this form.
func (d dialect) stored(s string) string {
	if d != postgres {
		return s
	}
	return textOf(s)
}

// textOf is s as PostgreSQL's text can hold it: valid UTF-8 without NUL,
// U+FFFD in place of each NUL and invalid byte sequence.
func textOf(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// migrationsTable creates the table of applied migrations.
func (d dialect) migrationsTable() string {
	if d == postgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`
}

// migrationLock is the key of the PostgreSQL advisory lock held while
// migrations run ("pdmg").
const migrationLock = 0x70646d67

// lockMigrations makes migrations run one gateway at a time: on
// PostgreSQL, a session advisory lock on conn. A gateway migrating already
// may hold it for as long as a step takes (an index built over every
// message), far beyond the busy timeout (lock_timeout, which would cancel
// a blocking pg_advisory_lock), so the lock is tried every
// migrationLockPoll until it is free or ctx ends, and the wait is logged.
// SQLite's writer needs none.
func (d dialect) lockMigrations(ctx context.Context, conn *sql.Conn, log *slog.Logger) (unlock func(), err error) {
	if d != postgres {
		return func() {}, nil
	}
	for logged := false; ; {
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLock).Scan(&got); err != nil {
			return nil, err
		}
		if got {
			break
		}
		if !logged {
			log.Info("waiting for another gateway's migrations")
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for another gateway's migrations: %w", ctx.Err())
		case <-time.After(migrationLockPoll):
		}
	}
	return func() { unlockMigrations(conn, log) }, nil
}

// migrationLockPoll is how often a gateway waiting for another's
// migrations tries the lock again.
const migrationLockPoll = 100 * time.Millisecond

// unlockMigrations releases the migration lock. A session lock stays with
// its connection: when the release fails, the connection is discarded
// (closing it releases the lock on the server) rather than returned to the
// pool still holding it, which would keep every other gateway waiting.
func unlockMigrations(conn *sql.Conn, log *slog.Logger) {
	var released bool
	err := conn.QueryRowContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock).Scan(&released)
	if err == nil && released {
		return
	}
	log.Error("releasing the migration lock failed; closing its connection", "released", released, "err", err)
	_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // returns ErrBadConn by design
}

// skipLocked ends a SELECT that picks rows for one gateway to work on: on
// PostgreSQL the rows are locked until the transaction ends and rows
// another gateway's transaction holds are passed over, so that two
// gateways never wait on or take the same rows. SQLite's one writer needs
// neither.
func (d dialect) skipLocked() string {
	if d == postgres {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}

// forUpdate ends a SELECT whose rows the transaction goes on to decide
// about: on PostgreSQL it locks them, waiting for another gateway's
// transaction that holds them, and reads their latest committed version,
// so that "read it again in the transaction" is a claim under READ
// COMMITTED too. SQLite's one writer needs none.
func (d dialect) forUpdate() string {
	if d == postgres {
		return ` FOR UPDATE`
	}
	return ``
}

// errKeysBusy fails a shared transaction that found a key locked: its jobs
// then run again alone (commit.go), where they wait for the key.
var errKeysBusy = errors.New("locked by another gateway's transaction")

// maxSharedLocks caps the advisory locks one transaction shared by
// several jobs (group commit) takes: the server's lock table holds about
// max_locks_per_transaction (64) × max_connections locks for every
// session together, and a group of many mails, each naming up to 129
// identifiers in each of its properties, would fill it ("out of shared
// memory" for every session). A group that would take more runs its jobs
// alone, each taking only its own.
const maxSharedLocks = 512

// errTooManyLocks fails a shared transaction whose jobs would take more
// than maxSharedLocks thread locks: its jobs then run again alone.
var errTooManyLocks = errors.New("too many thread locks for one shared transaction")

// lockKeys takes a transaction-scoped advisory lock on each key (sorted,
// without duplicates), in one statement whatever their number (an array,
// where one function argument per key failed past 100). On PostgreSQL a
// transaction of one job waits for another gateway's transaction holding
// one of them, the keys in the order given, so that two such transactions
// do not deadlock over these keys. They can still deadlock over row locks
// taken later in other orders (properties.next_ticket_number,
// ticket_counts, LockTicket): PostgreSQL detects it after
// deadlock_timeout (a second by default) and commit.go runs the job
// again. A transaction shared by several jobs (group commit) holds its
// jobs' keys in no one order, so it only tries: a key already held fails
// it at once with errKeysBusy, and its jobs run again alone, rather than
// wait for the server's deadlock detection. SQLite's one writer
// serializes transactions already.
func (d dialect) lockKeys(tx *Tx, keys []int64) error {
	if d != postgres || len(keys) == 0 {
		return nil
	}
	fn := `pg_advisory_xact_lock`
	if tx.shared {
		if *tx.locks += len(keys); *tx.locks > maxSharedLocks {
			return errTooManyLocks
		}
		fn = `pg_try_advisory_xact_lock`
	}
	// pg_advisory_xact_lock returns void (the empty text): only a try that
	// failed is 'false'.
	var all bool
	err := tx.queryRow(`SELECT COALESCE(bool_and(`+fn+`(k)::text != 'false'), true)
		FROM unnest(?::bigint[]) AS u(k)`, keys).Scan(&all)
	if err != nil {
		return err
	}
	if !all {
		return errKeysBusy
	}
	return nil
}

// least and greatest name the scalar minimum and maximum of their
// arguments: SQLite's MIN and MAX with several arguments, PostgreSQL's
// LEAST and GREATEST (its MIN and MAX are aggregates only).
func (d dialect) least() string {
	if d == postgres {
		return "LEAST"
	}
	return "MIN"
}

func (d dialect) greatest() string {
	if d == postgres {
		return "GREATEST"
	}
	return "MAX"
}

// strpos names the function giving the 1-based position of a substring in
// a string (0 when absent), arguments (string, substring): SQLite's instr,
// PostgreSQL's strpos.
func (d dialect) strpos() string {
	if d == postgres {
		return "strpos"
	}
	return "instr"
}

// integrityCheck counts what the database itself finds broken. SQLite's
// quick_check verifies every page, index and constraint (rows other than
// "ok"). PostgreSQL has no such pass without an extension (amcheck, which
// postdesk does not install): it counts the indexes left invalid (a failed
// build), which the planner no longer uses and writes may not keep.
func (d dialect) integrityCheck() string {
	if d == postgres {
		return `SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)`
	}
	return `SELECT COUNT(*) FROM pragma_quick_check WHERE quick_check != 'ok'`
}

// eventPosition is the column giving a desk event's place in commit order,
// which live streams follow: on SQLite its id (one writer: ids are taken
// in commit order); on PostgreSQL its position, numbered as its
// transaction commits (placeEvents).
func (d dialect) eventPosition() string {
	if d == postgres {
		return "position"
	}
	return "id"
}

// lastEventPosition reads the position of the newest committed event (0
// when there is none).
func (d dialect) lastEventPosition() string {
	if d == postgres {
		return `SELECT n FROM hook_event_clock`
	}
	return `SELECT COALESCE(MAX(id), 0) FROM hook_events`
}

// placeEvents numbers the events a transaction wrote, in id order, after
// every position committed before, just before it commits: on PostgreSQL
// the one row of hook_event_clock stays locked until the commit, so the
// next transaction to number events waits for it and numbers after it.
// Only the transaction's own events have no position: every committed one
// has. SQLite needs none (eventPosition is the id).
func (d dialect) placeEvents(ctx context.Context, tx *sql.Tx) error {
	if d != postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `WITH e AS (
			SELECT id, row_number() OVER (ORDER BY id) AS r, COUNT(*) OVER () AS k
			FROM hook_events WHERE position IS NULL),
		c AS (UPDATE hook_event_clock SET n = n + (SELECT COUNT(*) FROM e) RETURNING n)
		UPDATE hook_events h SET position = c.n - e.k + e.r FROM c, e WHERE h.id = e.id`)
	if err != nil {
		return fmt.Errorf("number events: %w", err)
	}
	return nil
}

// unindexed writes a term's column or expression so that SQLite does not
// use its index: a unary +. PostgreSQL needs no hint (and has no unary +
// for text).
func (d dialect) unindexed(col string) string {
	if d == postgres {
		return col
	}
	return "+" + col
}

// indexedBy names the index SQLite must read a table by; PostgreSQL
// chooses by itself.
func (d dialect) indexedBy(index string) string {
	if d == postgres {
		return ""
	}
	return " INDEXED BY " + index
}

// takesIndexHints reports whether a list's leading filter must be chosen
// in Go (SQLite's hints: unindexed, indexedBy): PostgreSQL keeps
// statistics and chooses by itself, and is spared the counts.
func (d dialect) takesIndexHints() bool { return d != postgres }

// integrityCheckName names what integrityCheck counts, for `postdesk
// check` to say what it checked.
func (d dialect) integrityCheckName() string {
	if d == postgres {
		return "invalid indexes; pages: run pg_amcheck"
	}
	return "PRAGMA quick_check"
}

// searchFlush is what a transaction runs before it commits to index for
// search the rows it wrote: on SQLite, the messages and contacts queued in
// fts_pending into the FTS5 tables; PostgreSQL's search columns are
// generated with their rows, nothing to do.
func (d dialect) searchFlush() []string {
	if d == postgres {
		return nil
	}
	return []string{
		`INSERT INTO message_fts(rowid, subject, text_body, author_name, author_email)
			SELECT m.id, m.subject, m.text_body, m.author_name, m.author_email
			FROM fts_pending p JOIN messages m ON m.id = p.id WHERE p.kind = 'm'`,
		`INSERT INTO contact_fts(rowid, name, email)
			SELECT c.id, c.name, c.email FROM fts_pending p JOIN contacts c ON c.id = p.id WHERE p.kind = 'c'`,
		`DELETE FROM fts_pending`,
	}
}

// plannedPerCall makes a read that is built per call (queryOnce) planned
// for its arguments at every call on PostgreSQL: pgx runs it as the
// unnamed statement (QueryExecModeCacheDescribe) instead of preparing it,
// since a prepared statement switches to a generic plan after five runs,
// and the generic plan of a search is that of an unknown word (the GIN
// index read whole for a word in every message: 10x slower than walking
// the newest messages).
func (d dialect) plannedPerCall(args []any) []any {
	if d != postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}
