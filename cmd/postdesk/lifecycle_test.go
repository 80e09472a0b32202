package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestComponents: a component that fails stops the others and its error,
// named, is returned; a cancelled parent stops all with no error.
func TestComponents(t *testing.T) {
	blocking := func(stopped *bool) func(context.Context) error {
		return func(ctx context.Context) error {
			<-ctx.Done()
			*stopped = true
			return nil
		}
	}
	tests := []struct {
		name    string
		failing func(context.Context) error
		cancel  bool
		want    string
	}{
		{name: "failure", failing: func(context.Context) error { return errors.New("accept: too many open files") }, want: "smtp: accept: too many open files"},
		{name: "early return", failing: func(context.Context) error { return nil }, want: "smtp: stopped unexpectedly"},
		{name: "signal", failing: blocking(new(bool)), cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			run := newComponents(parent, slog.New(slog.DiscardHandler))
			var otherStopped bool
			run.Go("outbound", blocking(&otherStopped))
			run.Go("smtp", tt.failing)
			if tt.cancel {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- run.Wait() }()
			select {
			case err := <-done:
				if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
					t.Errorf("Wait = %v, want %q", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Wait did not return: a component was left running")
			}
			if !otherStopped {
				t.Error("the other component was not stopped")
			}
		})
	}
}
