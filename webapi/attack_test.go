package webapi

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// openStream opens GET /api/events with token and returns the answer as
// soon as its headers came; the stream stays open until cancel.
func (f *fixture) openStream(t *testing.T, token string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /api/events: %v", err)
	}
	return resp, func() { cancel(); resp.Body.Close() }
}

// TestEventStreamsCapped: one token cannot hold any number of live
// streams (each a connection, a goroutine and a query a second): past
// the cap it gets 429 with Retry-After, and a stream closed frees its
// place. Another token is not refused for the first one's streams.
func TestEventStreamsCapped(t *testing.T) {
	f := newFixture(t)
	var closers []context.CancelFunc
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for i := range maxStreamsPerToken {
		resp, cancel := f.openStream(t, f.agent)
		closers = append(closers, cancel)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d of the agent = %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp, cancel := f.openStream(t, f.agent)
	cancel()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream %d of the agent = %d (Retry-After %q), want 429 with Retry-After",
			maxStreamsPerToken+1, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	other, cancel := f.openStream(t, f.admin)
	cancel()
	if other.StatusCode != http.StatusOK {
		t.Errorf("the admin's first stream = %d, want 200: another token's streams do not count", other.StatusCode)
	}
	closers[0]()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := f.openStream(t, f.agent)
		cancel()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one stream closed, a new one = %d, want 200", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
