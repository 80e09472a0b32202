package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
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
	at  time.Time // when set, the time rows are stamped with (SetTime)

	hooks   []pendingHook // events emitted and not yet written (hooks.go)
	emitted int           // events written
	silent  bool          // emit nothing (Silence)
	shared  bool          // the transaction runs several callers' jobs (runTogether)
	locks   *int          // thread locks the shared transaction took (lockKeys)
}

// Update runs fn in a write transaction and returns once the transaction is
// durably committed, or with the reason it is not. fn may share the database
// transaction with other callers' functions; if any of them fails, all are
// rolled back and each runs again alone, so fn must be safe to call more
// than once (only the last call's writes commit): a result it captures
// outside must be reset at its start, since the last call may find less
// than an earlier one did (another gateway committed in between); and its
// error undoes its own writes only. fn must not block on anything but the database and must
// not keep tx.
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
		start := time.Now()
		errs := s.commitBatch(batch)
		if s.onBatch != nil {
			s.onBatch(len(batch), time.Since(start))
		}
		for i, j := range batch {
			j.done <- errs[i]
		}
	}
}

// commitBatch runs the jobs in one transaction and returns each job's
// result. It is optimistic: jobs rarely fail, so they share the transaction
// without savepoints; if one fails, the transaction is rolled back and each
// job runs again alone, so that one bad job cannot fail the others. If a
// transaction itself fails (disk full, lock timeout), its jobs fail with
// that error.
func (s *Store) commitBatch(batch []*job) []error {
	if len(batch) > 1 {
		if errs, ok := s.runTogether(batch); ok {
			return errs
		}
	}
	errs := make([]error, len(batch))
	for i, j := range batch {
		errs[i] = s.runAlone(j)
	}
	return errs
}

// runTogether runs every job in one transaction. ok is false when a job
// failed and nothing was committed.
func (s *Store) runTogether(batch []*job) (errs []error, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.txTimeout)
	defer cancel()
	errs = make([]error, len(batch))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fill(errs, s.beginFailed(ctx, err)), true
	}
	emitted, locks := 0, 0
	for _, j := range batch {
		t := &Tx{tx: tx, ctx: ctx, s: s, shared: true, locks: &locks}
		if err := s.runJob(t, j); err != nil {
			s.rollback(tx)
			if ctx.Err() != nil { // out of time: alone, each would be too
				return fill(errs, s.timedOut(ctx)), true
			}
			return nil, false
		}
		emitted += t.emitted
	}
	return s.commit(ctx, tx, errs, emitted), true
}

// maxRetries bounds how often a job that met another gateway's transaction
// (a deadlock, a serialization failure) runs again.
const maxRetries = 5

// runAlone runs one job in its own transaction, again if it failed only
// because it met another gateway's.
func (s *Store) runAlone(j *job) error {
	var err error
	for try := 1; ; try++ {
		if err = s.runOnce(j); err == nil || !retryable(err) || try == maxRetries {
			return err
		}
		s.log.Warn("transaction met another gateway's; running it again", "try", try, "err", err)
	}
}

// runOnce runs one job in its own transaction.
func (s *Store) runOnce(j *job) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.txTimeout)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.beginFailed(ctx, err)
	}
	t := &Tx{tx: tx, ctx: ctx, s: s}
	if err := s.runJob(t, j); err != nil {
		s.rollback(tx)
		if ctx.Err() != nil {
			return s.timedOut(ctx)
		}
		return err
	}
	return s.commit(ctx, tx, []error{nil}, t.emitted)[0]
}

// rollback undoes a failed transaction. Its own failure changes nothing
// for the callers (nothing was committed) but is logged: the connection
// may be in trouble.
func (s *Store) rollback(tx *sql.Tx) {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		s.log.Error("rollback failed", "err", err)
	}
}

// commit indexes for search what the transaction inserted, numbers its
// events in commit order (placeEvents, last: its lock is held only across
// the commit), and commits.
// emitted is the number of desk events the transaction wrote: once they
// are committed, live streams and the webhook sender are woken.
func (s *Store) commit(ctx context.Context, tx *sql.Tx, errs []error, emitted int) []error {
	if err := s.flushSearch(ctx, tx); err != nil {
		s.rollback(tx)
		s.log.Error("search index failed", "jobs", len(errs), "err", err)
		return fill(errs, err)
	}
	if emitted > 0 {
		if err := s.dialect.placeEvents(ctx, tx); err != nil {
			s.rollback(tx)
			s.log.Error("numbering events failed", "jobs", len(errs), "err", err)
			return fill(errs, err)
		}
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			err = s.timedOut(ctx)
		}
		s.log.Error("commit failed", "jobs", len(errs), "err", err)
		return fill(errs, fmt.Errorf("commit: %w", err))
	}
	if emitted > 0 {
		s.signalHooks()
	}
	return errs
}

// errTxTimeout fails the jobs of a writer transaction that ran past
// Options.TxTimeout.
var errTxTimeout = errors.New("writer transaction timed out")

// timedOut is the error of a transaction whose time ran out, logged: the
// database or the network to it is stalled.
func (s *Store) timedOut(ctx context.Context) error {
	s.log.Error("writer transaction timed out; the database does not answer", "timeout", s.txTimeout, "err", ctx.Err())
	return fmt.Errorf("%w after %s", errTxTimeout, s.txTimeout)
}

// beginFailed is the error of a transaction that could not begin.
func (s *Store) beginFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("begin: %w", s.timedOut(ctx))
	}
	return fmt.Errorf("begin: %w", err)
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
	if err := j.fn(tx); err != nil {
		return err
	}
	return tx.flushHooks()
}

// fill sets every entry of errs to err, keeping no earlier success: the
// transaction they belonged to did not commit.
func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}
