package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// components runs the long-lived parts of the gateway under one context,
// as errgroup does: the first to fail, or to stop before it was asked to,
// cancels the context so that the others stop too, and Wait returns its
// error, naming it. A cancelled parent (SIGTERM, SIGINT) stops them all
// and Wait returns nil. Each component must return once its context ends,
// after finishing what it has in hand.
type components struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
	once   sync.Once
	err    error // the first failure
}

func newComponents(parent context.Context, log *slog.Logger) *components {
	ctx, cancel := context.WithCancel(parent)
	return &components{ctx: ctx, cancel: cancel, log: log}
}

// Go starts a component.
func (c *components) Go(name string, run func(ctx context.Context) error) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := run(c.ctx)
		if err == nil && c.ctx.Err() == nil {
			err = fmt.Errorf("stopped unexpectedly")
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			c.log.Error("component failed: stopping the others", "component", name, "err", err)
			c.once.Do(func() { c.err = err })
			c.cancel()
			return
		}
		c.log.Info("component stopped", "component", name)
	}()
}

// Wait waits for every component to stop and returns the first failure.
func (c *components) Wait() error {
	c.wg.Wait()
	c.cancel()
	return c.err
}
