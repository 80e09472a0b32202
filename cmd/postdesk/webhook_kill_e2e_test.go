package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhookSurvivesSIGKILL: the gateway is SIGKILLed while a receiver
// holds its first delivery (the receiver got the event, the gateway did
// not record it). Restarted, the gateway sends it again once the claim's
// lease has passed, with the same webhook-id (at-least-once: the
// receiver deduplicates by it), records it delivered, and sends it no
// third time. Nothing is lost.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "now")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	fakeTime(t, clock, start)
	t.Setenv(fakeClockEnv, clock)
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--role", "admin")
	r := newHookReceiver(t)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	inner := r.srv.Config.Handler
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		inner.ServeHTTP(w, req) // recorded, its 200 not yet sent
		first := false
		once.Do(func() { first = true })
		if first {
			close(held)
			<-release
		}
	})
	addHook(t, data, r, "--events", "ticket.created")

	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	select {
	case <-held:
	case <-time.After(15 * time.Second):
		t.Fatal("the receiver got nothing")
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	close(release)

	startServer(t, data)
	time.Sleep(1500 * time.Millisecond)
	if n := len(r.requests()); n != 1 {
		t.Errorf("%d requests within the lease after the restart, want 1", n)
	}
	fakeTime(t, clock, start.Add(2*time.Minute)) // past the lease
	got := r.waitFor(2)
	if got[1].ID != got[0].ID || got[1].Type != "ticket.created" {
		t.Errorf("after the restart: %+v, then %+v: want the same webhook-id again", got[0], got[1])
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(r.requests()); n != 2 {
		t.Errorf("%d requests, want 2: the redelivery was not recorded", n)
	}
	var log []struct {
		MsgID   string `json:"msg_id"`
		Outcome string
	}
	cliJSON(t, data, &log, "webhook", "deliveries", "1")
	if len(log) != 1 || log[0].Outcome != "delivered" || !strings.HasPrefix(log[0].MsgID, "evt_") {
		t.Errorf("delivery log %+v, want one delivered attempt", log)
	}
}
