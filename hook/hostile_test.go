package hook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestHostileReceivers: an endpoint cannot pin the sender nor send it
// elsewhere. A redirect is an answer, not followed (the endpoint's admin
// chose the URL; a 3xx must not turn it into another); an endpoint that
// answers slowly, or trickles its body, or sends one without end, costs
// one attempt of at most the timeout, and the sender reads at most 64 KiB
// of any answer.
func TestHostileReceivers(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	endless := strings.Repeat("x", 32<<10)
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		outcome string
		status  int
	}{
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/stolen", http.StatusTemporaryRedirect)
		}, OutcomeRetry, http.StatusTemporaryRedirect},
		{"slow answer", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so that the client's leaving ends the request
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, OutcomeRetry, 0},
		{"trickled body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			for i := 0; i < 100 && r.Context().Err() == nil; i++ {
				io.WriteString(w, "x")
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}, OutcomeDelivered, http.StatusOK},
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, endless); err != nil {
					return
				}
			}
		}, OutcomeDelivered, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			var w store.Webhook
			err := f.d.Run(context.Background(), f.prop, desk.AsMember(f.alice), func(o *desk.Op) error {
				var err error
				w, err = o.AddWebhook(desk.WebhookSpec{URL: srv.URL + "/hook", Events: []string{string(ticket.HookTicketCreated)}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			f.s = New(Options{Store: f.st, Now: f.clock.Now, Timeout: time.Second})
			f.open()
			start := time.Now()
			if n := f.round(); n != 1 {
				t.Fatalf("round claimed %d deliveries, want 1", n)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("the round took %v, want at most about the 1s timeout", took)
			}
			want := "ticket.created " + tc.outcome + " " + strconv.Itoa(tc.status)
			if got := f.log(w); len(got) != 1 || got[0] != want {
				t.Errorf("delivery log %q, want %q", got, want)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect's target got %d requests, want none", n)
	}
}

// TestSignatureOfNonASCII: an event whose text is not ASCII (a subject in
// three scripts, a line separator, an emoji) is signed over the bytes
// sent, so a receiver verifying the raw body accepts it and reads the text
// back unchanged.
func TestSignatureOfNonASCII(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t) // verifies every request's signature
	f.hook(r, string(ticket.HookTicketCreated))
	const subject = "Zahlung für Rechnung ✓ 請求書 \u2028 Ωmega 🧾"
	err := f.d.Run(context.Background(), f.prop, desk.AsContact(f.zoe), func(o *desk.Op) error {
		tk := ticket.Ticket{Subject: subject, Status: ticket.StatusOpen, Priority: ticket.PriorityMedium}
		return o.Open(&tk, f.zoe, "mail from zoe")
	})
	if err != nil {
		t.Fatal(err)
	}
	f.round()
	got := r.received()
	if len(got) != 1 || got[0].event.Data.Ticket == nil || got[0].event.Data.Ticket.Subject != subject {
		t.Fatalf("received %+v, want the ticket with its subject as written", got)
	}
}
