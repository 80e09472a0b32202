package notify

import (
	"context"
	"github.com/postdesk/postdesk/ticket"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestShutdownCutsOffStalledRelay: the relay has the acknowledgement's
// bytes and does not answer. Once Run's context is cancelled, the delivery
// gets the grace period, then is cut off: Run returns soon after, and the
// row stays queued with its attempt recorded, for a later retry. A relay
// that answers within the grace period has its mail marked sent.
func TestShutdownCutsOffStalledRelay(t *testing.T) {
	tests := []struct {
		name       string
		answerIn   time.Duration // when the relay answers after the cancel; 0: never
		wantStatus string
	}{
		{"answers within the grace period", 100 * time.Millisecond, ticket.OutSent},
		{"never answers", 0, ticket.OutQueued},
	}
	const grace = 500 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			relay := smtptest.Start(t)
			release := make(chan struct{})
			relay.Stall(release)
			t.Cleanup(func() {
				select {
				case <-release:
				default:
					close(release)
				}
			})
			tr, err := ParseRelay(relay.URL(), "test.local")
			if err != nil {
				t.Fatal(err)
			}
			w := New(Options{Store: f.st, Keys: f.keys, Transport: tr, InstanceID: "test", Now: f.clock.now,
				Workers: 1, Poll: 10 * time.Millisecond, ShutdownGrace: grace})
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { w.Run(ctx); close(stopped) }()
			for deadline := time.Now().Add(10 * time.Second); relay.Attempts() == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the acknowledgement did not reach the relay in 10s")
				}
			}
			cancel()
			start := time.Now()
			if tt.answerIn > 0 {
				time.AfterFunc(tt.answerIn, func() { close(release) })
			}
			select {
			case <-stopped:
			case <-time.After(grace + 5*time.Second):
				t.Fatalf("Run did not return %v after the cancel", grace+5*time.Second)
			}
			if took := time.Since(start); tt.answerIn == 0 && took < grace {
				t.Errorf("Run returned %v after the cancel, before the grace period of %v", took, grace)
			}
			row := f.rows(t)[0]
			if row.Status != tt.wantStatus || row.Attempts != 1 {
				t.Fatalf("row after shutdown: %s after %d attempts (%q), want %s after 1", row.Status, row.Attempts, row.LastError, tt.wantStatus)
			}
			if tt.wantStatus == ticket.OutQueued && (!strings.Contains(row.LastError, "grace period") || !row.NextAttempt.After(f.clock.t)) {
				t.Errorf("cut-off row: error %q, next attempt %v; want the cut-off recorded and a later retry", row.LastError, row.NextAttempt)
			}
		})
	}
}
