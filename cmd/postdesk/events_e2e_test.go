package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// liveEvent is one server-sent event as a client reads it.
type liveEvent struct {
	ID   int64
	Type string
	// Data is the data field's JSON: the event as webhooks carry it.
	Data struct {
		Type string
		Data struct {
			Property string
			Ticket   struct{ Number int64 }
		}
	}
}

// liveStream is an open GET /api/events.
type liveStream struct {
	events chan liveEvent
	ended  chan struct{}
	cancel context.CancelFunc
}

// openStream opens the live event stream with a token, resuming after
// Last-Event-ID when header is set (or with the query given in path).
func openStream(t *testing.T, base, token, path, lastID string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &liveStream{events: make(chan liveEvent, 100), ended: make(chan struct{}), cancel: cancel}
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() || sc.Text() != "retry: 2000" {
		t.Fatalf("the stream begins with %q", sc.Text())
	}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		var ev liveEvent
		for sc.Scan() {
			field, value, _ := strings.Cut(sc.Text(), ": ")
			switch field {
			case "id":
				ev.ID, _ = strconv.ParseInt(value, 10, 64)
			case "event":
				ev.Type = value
			case "data":
				if err := json.Unmarshal([]byte(value), &ev.Data); err != nil {
					t.Errorf("data %q: %v", value, err)
				}
			case "":
				if ev.ID != 0 {
					s.events <- ev
				}
				ev = liveEvent{}
			}
		}
	}()
	return s
}

// until collects events until none came for quiet.
func (s *liveStream) until(quiet time.Duration) []liveEvent {
	var out []liveEvent
	for {
		select {
		case ev := <-s.events:
			out = append(out, ev)
		case <-time.After(quiet):
			return out
		}
	}
}

// describe shows events as "#N type" words.
func describe(evs []liveEvent) string {
	var out []string
	for _, e := range evs {
		out = append(out, "#"+strconv.FormatInt(e.Data.Data.Ticket.Number, 10)+" "+e.Type)
	}
	return strings.Join(out, ", ")
}

// newTicketMail is a mail that opens a new ticket.
func newTicketMail(to, subject, msgID string) string {
	return "From: Zoe <zoe@customer.test>\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + msgID + ">\r\n" +
		"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
}

// TestLiveEvents: a member's stream carries her property's events in
// order, never another property's; a reconnection with Last-Event-ID (or
// ?last_event_id=) gets exactly the events missed; a stream opened
// without starts at the newest; revoking the token ends the stream.
func TestLiveEvents(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "property", "add", "--slug", "other", "--name", "Other", "--address", "help@other.test")
	cli(t, data, "member", "add", "--property", "other", "--email", "bob@other.test", "--role", "agent")
	srv := startServer(t, data)
	token := newToken(t, data, "alice@acme.test")
	base := srv.apiURL(t)

	live := openStream(t, base, token, "/api/events", "")
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, newTicketMail("support@acme.test", "One", "one@customer.test"))
	mustSend(t, srv.addr, "zoe@customer.test", []string{"help@other.test"}, newTicketMail("help@other.test", "Other", "x@customer.test"))
	first := live.until(2 * time.Second)
	want := "#1 ticket.created, #1 ticket.assigned, #1 message.created"
	if got := describe(first); got != want {
		t.Fatalf("first mail: events %q, want %q", got, want)
	}
	for i, ev := range first {
		if ev.Data.Data.Property != "acme" || ev.Data.Type != ev.Type || (i > 0 && ev.ID <= first[i-1].ID) {
			t.Errorf("event %+v: want acme's, ids rising", ev)
		}
	}
	live.cancel()
	<-live.ended

	last := strconv.FormatInt(first[len(first)-1].ID, 10)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"help@other.test"}, newTicketMail("help@other.test", "Other 2", "y@customer.test"))
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, newTicketMail("support@acme.test", "Two", "two@customer.test"))
	missed := "#2 ticket.created, #2 ticket.assigned, #2 message.created"
	for name, s := range map[string]*liveStream{
		"Last-Event-ID":  openStream(t, base, token, "/api/events", last),
		"?last_event_id": openStream(t, base, token, "/api/events?last_event_id="+last, ""),
	} {
		if got := describe(s.until(1500 * time.Millisecond)); got != missed {
			t.Errorf("resumed with %s after %s: %q, want %q", name, last, got, missed)
		}
		s.cancel()
	}

	fresh := openStream(t, base, token, "/api/events", "")
	if got := fresh.until(1500 * time.Millisecond); len(got) != 0 {
		t.Errorf("a stream without Last-Event-ID replayed %q", describe(got))
	}
	cli(t, data, "token", "revoke", "1")
	select {
	case <-fresh.ended:
	case <-time.After(10 * time.Second):
		t.Error("the stream of a revoked token did not end")
	}
	r := (apiClient{t: t, base: base, token: token}).do("GET", "/api/events", nil)
	if r.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token opening a stream: %d", r.Status)
	}
}
