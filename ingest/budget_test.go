package ingest

import (
	"context"
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	r1, _ := b.acquire(ctx, 60)
	got := make(chan string, 3)
	go func() { r, _ := b.acquire(ctx, 1000); got <- "huge"; r() }() // capped at the whole budget: waits for all
	time.Sleep(20 * time.Millisecond)
	go func() { r, _ := b.acquire(ctx, 10); got <- "small"; r() }() // fits, but waits its turn behind huge
	select {
	case g := <-got:
		t.Fatalf("%s acquired while 60 of 100 were taken and a larger waiter was first", g)
	case <-time.After(50 * time.Millisecond):
	}
	r1()
	if a, b := <-got, <-got; a != "huge" || b != "small" {
		t.Errorf("order %s, %s; want huge, then small", a, b)
	}
	cctx, cancel := context.WithCancel(ctx)
	r3, _ := b.acquire(ctx, 100)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := b.acquire(cctx, 50); err == nil {
		t.Error("acquire did not give up when its context ended")
	}
	r3()
	if r, err := b.acquire(ctx, 100); err != nil {
		t.Errorf("after a cancelled waiter, the budget is not whole: %v", err)
	} else {
		r()
	}
}
