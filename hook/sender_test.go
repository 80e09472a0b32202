package hook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// verify checks a webhook request's signature the way the Standard
// Webhooks specification tells receivers to, written here apart from
// Sign: base64-decode the secret after "whsec_", HMAC-SHA256 over
// id.timestamp.body, compare with each "v1," signature of the header.
func verify(secret, id, ts string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(header) {
		v, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// TestSpecVector: the signature of the Standard Webhooks libraries' test
// vector (standard-webhooks, libraries' tests), by Sign and by verify.
func TestSpecVector(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	if !verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, want) {
		t.Fatal("the test's own verifier refuses the spec's vector")
	}
	if _, err := Sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x", time.Now(), body); err == nil {
		t.Error("Sign took a secret without the whsec_ prefix")
	}
}

// received is one request the receiver took.
type received struct {
	id, ts string
	event  ticket.HookEvent
	raw    map[string]any
}

// receiver is a webhook endpoint that verifies every signature and fails
// the first failFirst requests with status failWith.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu        sync.Mutex
	got       []received
	failFirst int
	failWith  int
	calls     int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, failWith: http.StatusInternalServerError}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if !verify(r.secret, id, ts, body, req.Header.Get("webhook-signature")) {
		r.t.Errorf("request %s: bad signature %q", id, req.Header.Get("webhook-signature"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.calls <= r.failFirst {
		http.Error(w, "not now", r.failWith)
		return
	}
	rc := received{id: id, ts: ts}
	if err := json.Unmarshal(body, &rc.event); err != nil {
		r.t.Errorf("request %s: %v", id, err)
	}
	json.Unmarshal(body, &rc.raw)
	r.got = append(r.got, rc)
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) types() []string {
	var out []string
	for _, g := range r.received() {
		out = append(out, string(g.event.Type))
	}
	return out
}

// clock is a clock the test moves.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	since time.Time // when set, the clock also runs: t plus the real time since
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.since.IsZero() {
		return c.t.Add(time.Since(c.since))
	}
	return c.t
}
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fixture is a desk on a real SQLite file: property acme with admin
// alice, customer zoe, an SLA policy, and a sender on the test's clock.
type fixture struct {
	t     *testing.T
	clock *clock
	st    *store.Store
	d     *desk.Desk
	s     *Sender
	prop  ticket.Property
	alice ticket.Member
	zoe   ticket.Contact
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, clock: &clock{t: t0}}
	var err error
	if f.st, err = store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "t.db"), Now: f.clock.Now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	f.d = desk.New(desk.Options{Store: f.st, Keys: keys, Now: f.clock.Now})
	f.s = New(Options{Store: f.st, Now: f.clock.Now, Timeout: 5 * time.Second})
	if f.prop, err = f.st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	if f.alice, err = f.st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Role: ticket.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		f.zoe, err = tx.Contact(f.prop.ID, "zoe@customer.test", "Zoe")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := sla.Policy{Targets: map[ticket.Priority]sla.Targets{
		ticket.PriorityMedium: {FirstResponse: sla.Duration(4 * time.Hour), Resolution: sla.Duration(48 * time.Hour)},
		ticket.PriorityHigh:   {FirstResponse: sla.Duration(time.Hour), Resolution: sla.Duration(8 * time.Hour)}}}
	if err := f.d.SetSLAPolicy(ctx, f.prop, desk.AsMember(f.alice), p); err != nil {
		t.Fatal(err)
	}
	return f
}

// hook adds an endpoint at r for the events given, and tells r its secret.
func (f *fixture) hook(r *receiver, events ...string) store.Webhook {
	f.t.Helper()
	var w store.Webhook
	err := f.d.Run(context.Background(), f.prop, desk.AsMember(f.alice), func(o *desk.Op) error {
		var err error
		w, err = o.AddWebhook(desk.WebhookSpec{URL: r.srv.URL + "/hook", Events: events})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	r.secret = w.Secret
	return w
}

// open opens a ticket from zoe.
func (f *fixture) open() ticket.Ticket {
	f.t.Helper()
	var tk ticket.Ticket
	err := f.d.Run(context.Background(), f.prop, desk.AsContact(f.zoe), func(o *desk.Op) error {
		tk = ticket.Ticket{Subject: "Invoice is wrong", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium}
		return o.Open(&tk, f.zoe, "mail from zoe")
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

// do runs fn as alice on ticket tk.
func (f *fixture) do(tk ticket.Ticket, fn func(*desk.Op, *ticket.Ticket) error) ticket.Ticket {
	f.t.Helper()
	out, err := f.d.Do(context.Background(), f.prop, desk.AsMember(f.alice), tk.Number, fn)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// round runs one round of the sender and returns how many it claimed.
func (f *fixture) round() int {
	f.t.Helper()
	n, err := f.s.round(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// log returns an endpoint's delivery log, oldest first, as "type outcome
// status" lines.
func (f *fixture) log(w store.Webhook) []string {
	f.t.Helper()
	as, err := f.st.WebhookAttempts(context.Background(), w.ID, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for i := len(as) - 1; i >= 0; i-- {
		out = append(out, as[i].Type+" "+as[i].Outcome+" "+strconv.Itoa(as[i].Status))
	}
	return out
}

// TestDeliveriesCarryTheTicket: every event reaches the endpoint that
// takes all, signed; the filtered endpoint gets only ticket.closed; the
// closed event carries the ticket, its contact and both their custom
// fields; priority_changed carries the new due times.
func TestDeliveriesCarryTheTicket(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	all, closed := newReceiver(t), newReceiver(t)
	f.hook(all)
	f.hook(closed, "ticket.closed")
	for _, fd := range []ticket.Field{{For: ticket.FieldForTicket, Name: "plan", Type: ticket.FieldText},
		{For: ticket.FieldForContact, Name: "tier", Type: ticket.FieldText}} {
		if _, err := f.d.AddField(ctx, f.prop, desk.AsMember(f.alice), fd); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.d.SetContactField(ctx, f.prop, desk.AsMember(f.alice), "zoe@customer.test", "tier", "gold"); err != nil {
		t.Fatal(err)
	}
	tk := f.open()
	f.clock.Add(2 * time.Hour)
	f.do(tk, func(o *desk.Op, t *ticket.Ticket) error { return o.SetPriority(t, ticket.PriorityHigh) })
	f.do(tk, func(o *desk.Op, t *ticket.Ticket) error { return o.SetField(t, "plan", "pro") })
	f.do(tk, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, ticket.ClosedResolved) })
	f.round()

	want := "ticket.created ticket.assigned ticket.priority_changed ticket.status_changed ticket.closed"
	if got := strings.Join(all.types(), " "); got != want {
		t.Errorf("endpoint of every event got %q, want %q", got, want)
	}
	if got := closed.types(); len(got) != 1 || got[0] != "ticket.closed" {
		t.Fatalf("endpoint of ticket.closed got %q", got)
	}
	ev := closed.received()[0]
	if ev.id == "" || !strings.HasPrefix(ev.id, "evt_") {
		t.Errorf("webhook-id %q, want evt_N", ev.id)
	}
	d := ev.event.Data
	if d.Property != "acme" || d.Ticket == nil || d.Ticket.Number != tk.Number || d.Ticket.Status != ticket.StatusClosed ||
		d.Ticket.Fields["plan"] != "pro" {
		t.Errorf("ticket.closed data: %+v, ticket %+v", d, d.Ticket)
	}
	if d.Contact == nil || d.Contact.Email != "zoe@customer.test" || d.Contact.Fields["tier"] != "gold" {
		t.Errorf("ticket.closed contact: %+v", d.Contact)
	}
	for _, g := range all.received() {
		if g.event.Type != ticket.HookPriorityChanged {
			continue
		}
		tkt := g.event.Data.Ticket
		if !tkt.FirstResponseDue.Equal(t0.Add(time.Hour)) || !tkt.ResolutionDue.Equal(t0.Add(8*time.Hour)) {
			t.Errorf("priority_changed due times %s, %s; want t0+1h, t0+8h", tkt.FirstResponseDue, tkt.ResolutionDue)
		}
		if tkt.Priority != ticket.PriorityHigh || g.event.Data.Change == nil || g.event.Data.Change.Kind != "priority" {
			t.Errorf("priority_changed: priority %s, change %+v", tkt.Priority, g.event.Data.Change)
		}
	}
	if f.round() != 0 {
		t.Error("delivered events were claimed again")
	}
}

// TestRetryKeepsTheID: an endpoint that fails once gets the event again
// after the first wait of the schedule, with the same webhook-id and a
// fresh timestamp; the delivery log shows both attempts.
func TestRetryKeepsTheID(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t)
	r.failFirst = 1
	w := f.hook(r, "ticket.created")
	f.open()
	f.round()
	if len(r.received()) != 0 || r.calls != 1 {
		t.Fatalf("after a failure: %d received, %d calls", len(r.received()), r.calls)
	}
	f.clock.Add(4 * time.Second)
	if f.round() != 0 {
		t.Fatal("a failed delivery was retried before its time")
	}
	f.clock.Add(2 * time.Second)
	f.round()
	got := r.received()
	if len(got) != 1 || r.calls != 2 {
		t.Fatalf("after the retry: %d received, %d calls", len(got), r.calls)
	}
	first, err := f.st.WebhookAttempts(context.Background(), w.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].MsgID != got[0].id || first[1].MsgID != got[0].id {
		t.Errorf("attempts %+v; want two with webhook-id %s", first, got[0].id)
	}
	if got[0].ts != strconv.FormatInt(t0.Add(6*time.Second).Unix(), 10) {
		t.Errorf("retry's timestamp %s, want the attempt's time", got[0].ts)
	}
	if l := strings.Join(f.log(w), "; "); l != "ticket.created retry 500; ticket.created delivered 200" {
		t.Errorf("delivery log %q", l)
	}
}

// TestDisabledAfterDays: an endpoint failing for five days is disabled at
// its next failure, its queued deliveries fail, its admins get a notice,
// and nothing more is queued for it. One that answers 410 Gone is
// disabled at once.
func TestDisabledAfterDays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := newReceiver(t)
	r.failFirst = 1 << 30
	w := f.hook(r)
	f.open()
	f.round()
	f.clock.Add(24 * time.Hour)
	f.round() // the first retry, a day late: still failing, not disabled
	if w, _ = f.st.Webhook(ctx, f.prop.ID, w.ID); !w.Enabled || !w.FailingSince.Equal(t0) {
		t.Fatalf("after a day: enabled %v, failing since %s", w.Enabled, w.FailingSince)
	}
	f.clock.Add(4 * 24 * time.Hour)
	f.round()
	if w, _ = f.st.Webhook(ctx, f.prop.ID, w.ID); w.Enabled || !strings.Contains(w.DisabledReason, "failed since") {
		t.Fatalf("after five days: enabled %v, reason %q", w.Enabled, w.DisabledReason)
	}
	// Two events (created, assigned); a round stops at the endpoint's
	// first failure, so only created is tried, at t0 and a day later;
	// after five days its failure disables, and assigned, failed with
	// it, is not sent.
	if l := strings.Join(f.log(w), "; "); l != "ticket.created retry 500; "+
		"ticket.created retry 500; ticket.created disabled 500" {
		t.Errorf("delivery log %q", l)
	}
	if n := f.notices("Webhook disabled"); n != 1 {
		t.Errorf("%d notices to alice, want 1", n)
	}
	f.open()
	if n := f.round(); n != 0 {
		t.Errorf("%d deliveries claimed for a disabled endpoint", n)
	}

	gone := newReceiver(t)
	gone.failFirst, gone.failWith = 1, http.StatusGone
	g := f.hook(gone)
	f.open()
	f.round()
	if g, _ = f.st.Webhook(ctx, f.prop.ID, g.ID); g.Enabled || !strings.Contains(g.DisabledReason, "410") {
		t.Errorf("after 410: enabled %v, reason %q", g.Enabled, g.DisabledReason)
	}
}

// notices counts alice's pending notices of a topic.
func (f *fixture) notices(topic string) int {
	f.t.Helper()
	var n []store.PendingNotice
	err := f.st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = tx.PendingNotices(store.NoticeGroup{PropertyID: f.prop.ID, MemberID: f.alice.ID, Topic: topic})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(n)
}

// TestClaimLease: a claimed delivery is not claimed again, by this
// sender or another on the same database, until its lease has passed.
func TestClaimLease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.hook(newReceiver(t))
	f.open()
	got, err := f.st.ClaimDeliveries(ctx, time.Minute, 10)
	if err != nil || len(got) != 2 { // ticket.created, ticket.assigned
		t.Fatalf("claim: %d, %v", len(got), err)
	}
	if again, _ := f.st.ClaimDeliveries(ctx, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice within the lease")
	}
	f.clock.Add(time.Minute)
	if again, _ := f.st.ClaimDeliveries(ctx, time.Minute, 10); len(again) != 2 || again[0].ID != got[0].ID {
		t.Fatalf("not claimed again after the lease: %+v", again)
	}
}

// TestPrune: past the retention, the log, finished deliveries and their
// events go; an event with a queued delivery stays.
func TestPrune(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := newReceiver(t)
	f.hook(r)
	f.open()
	f.round()
	down := newReceiver(t)
	down.failFirst = 1 << 30
	f.hook(down, "ticket.closed")
	tk := f.open()
	f.do(tk, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, ticket.ClosedResolved) })
	f.clock.Add(8 * 24 * time.Hour)
	p, err := f.st.PruneHooks(ctx, f.clock.Now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Delivered: the first ticket's created and assigned to r; the
	// second ticket's events are queued still (r's round did not come),
	// so only the first ticket's events go.
	if p.Attempts != 2 || p.Deliveries != 2 || p.Events != 2 {
		t.Errorf("pruned %+v, want 2 attempts, 2 deliveries, 2 events", p)
	}
	if evs, err := f.st.HookEventsAfter(ctx, []int64{f.prop.ID}, 0, 1); err != nil {
		t.Fatal(err)
	} else if len(evs) > 0 && evs[0].ID == 1 {
		t.Error("event 1 is still there")
	}
}
