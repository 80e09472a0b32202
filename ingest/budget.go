package ingest

import (
	"context"
	"sync"
)

// budget is a weighted semaphore over bytes: a message takes its size (at
// most the whole budget, so that any message can pass alone) until it is
// stored. Waiters are served in order, so a large message is not starved by
// a stream of small ones.
type budget struct {
	mu      sync.Mutex
	total   int64
	free    int64
	waiters []*waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(total int64) *budget {
	if total <= 0 {
		total = 48 << 20
	}
	return &budget{total: total, free: total}
}

// acquire waits until n bytes are free, or ctx ends. It returns the
// function that gives them back.
func (b *budget) acquire(ctx context.Context, n int64) (func(), error) {
	n = min(max(n, 1), b.total)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return func() { b.release(n) }, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return func() { b.release(n) }, nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			b.free += n
			b.wake()
		default:
			for i, x := range b.waiters {
				if x == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
			b.wake()
		}
		return nil, ctx.Err()
	}
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	b.wake()
	b.mu.Unlock()
}

// wake grants waiters in order while they fit. b.mu is held.
func (b *budget) wake() {
	for len(b.waiters) > 0 && b.free >= b.waiters[0].n {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.free -= w.n
		close(w.ready)
	}
}
