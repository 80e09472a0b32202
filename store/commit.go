package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
)

// A job is one caller's transaction, waiting for the writer.
type job struct {
	fn   func(*Tx) error
	done chan error
}

// Tx is one caller's share of a writer transaction. Its methods are only valid
// inside the function given to Update.
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
	s   *Store
}

// Update runs fn in a write transaction and returns once the transaction is
// durably committed, or with the reason it is not. fn may run in the same
// database transaction as other callers' functions: a savepoint isolates it,
// so its error undoes its own writes only. fn must not block on anything but
// the database and must not keep tx.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	j := &job{fn: fn, done: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return ErrClosed
	}
	// Once submitted, the job is answered whatever happens to ctx: the caller
	// must learn whether its data is on disk.
	return <-j.done
}

// writer is the one goroutine that writes. It takes the first waiting job and
// every job already queued behind it, runs them in one transaction and commits.
func (s *Store) writer() {
	defer s.wg.Done()
	batch := make([]*job, 0, s.maxBatch)
	for {
		select {
		case j := <-s.jobs:
			batch = append(batch[:0], j)
		case <-s.stop:
			return
		}
	gather:
		for len(batch) < s.maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break gather
			}
		}
		errs := s.commitBatch(batch)
		for i, j := range batch {
			j.done <- errs[i]
		}
	}
}

// commitBatch runs the jobs in one transaction and returns each job's result.
// A job whose function fails is rolled back to its savepoint; the others
// commit. If the transaction itself fails (disk full, lock timeout), every job
// fails with that error.
func (s *Store) commitBatch(batch []*job) []error {
	ctx := context.Background()
	errs := make([]error, len(batch))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fill(errs, fmt.Errorf("begin: %w", err))
	}
	if len(batch) == 1 {
		// Alone in its transaction, a job needs no savepoint.
		if errs[0] = s.runJob(&Tx{tx: tx, ctx: ctx, s: s}, batch[0]); errs[0] != nil {
			tx.Rollback()
			return errs
		}
		return s.commit(tx, errs)
	}
	for i, j := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
			tx.Rollback()
			return fill(errs, fmt.Errorf("savepoint: %w", err))
		}
		errs[i] = s.runJob(&Tx{tx: tx, ctx: ctx, s: s}, j)
		undo := "RELEASE job"
		if errs[i] != nil {
			undo = "ROLLBACK TO job"
		}
		if _, err := tx.ExecContext(ctx, undo); err != nil {
			// SQLite may have rolled the whole transaction back on its own
			// (SQLITE_FULL, SQLITE_IOERR): nothing of this batch is safe.
			tx.Rollback()
			return fill(errs, fmt.Errorf("%s: %w (after: %v)", undo, err, errs[i]))
		}
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
				tx.Rollback()
				return fill(errs, fmt.Errorf("release: %w", err))
			}
		}
	}
	return s.commit(tx, errs)
}

func (s *Store) commit(tx *sql.Tx, errs []error) []error {
	if err := tx.Commit(); err != nil {
		s.log.Error("commit failed", "jobs", len(errs), "err", err)
		return fill(errs, fmt.Errorf("commit: %w", err))
	}
	return errs
}

// runJob calls the job's function, turning a panic into an error so that one
// bad message cannot take the writer, and every waiting session, down.
func (s *Store) runJob(tx *Tx, j *job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in store transaction", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return j.fn(tx)
}

// fill sets every entry of errs to err, keeping no earlier success: the
// transaction they belonged to did not commit.
func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}
