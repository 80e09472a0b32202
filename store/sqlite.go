package store

import (
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver, registered as "sqlite"
)

// openSQLite opens the database file at path: one writer connection and a
// pool of readers.
func (s *Store) openSQLite(path string, busy time.Duration) error {
	if path == "" {
		return errors.New("no database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	s.dialect, s.where = sqlite, path
	var err error
	if s.w, err = sql.Open("sqlite", dsn(path, true, busy)); err != nil {
		return err
	}
	// One goroutine writes, through one connection. A second connection
	// exists only so that database/sql can prepare a statement while the
	// writer's transaction holds the first (see stmt.go); it never writes.
	s.w.SetMaxOpenConns(2)
	s.w.SetMaxIdleConns(2)
	s.w.SetConnMaxLifetime(0)
	if s.r, err = sql.Open("sqlite", dsn(path, false, busy)); err != nil {
		s.w.Close()
		return err
	}
	s.r.SetMaxOpenConns(8)
	s.r.SetMaxIdleConns(8)
	return nil
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
