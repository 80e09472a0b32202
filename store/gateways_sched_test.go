package store_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// clock is a clock both gateways of a test read, which the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// gateway is one gateway's view of a shared database: its Store and Desk.
type gateway struct {
	st *store.Store
	d  *desk.Desk
}

// deskPair is two gateways on one PostgreSQL database with a property, an
// admin (alice), a customer (zoe) and an SLA policy (high: first response
// in 1h, resolution in 8h), all on one fake clock.
type deskPair struct {
	t     *testing.T
	gw    [2]gateway
	clock *clock
	keys  *threading.Keys
	prop  ticket.Property
	alice ticket.Member
	zoe   ticket.Contact
}

// t0 is a Monday, 09:00 UTC.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newDeskPair(t *testing.T) *deskPair {
	t.Helper()
	if !store.OnPostgres() {
		t.Skip("several gateways share a database on PostgreSQL only")
	}
	ctx := context.Background()
	p := &deskPair{t: t, clock: &clock{t: t0}}
	p.keys, _ = threading.NewKeys(1, map[uint8][]byte{1: []byte("gateways test key 0123")})
	opts := store.FreshOptions(t)
	opts.Now = p.clock.Now
	for i := range p.gw {
		st, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		p.gw[i] = gateway{st: st, d: desk.New(desk.Options{Store: st, Keys: p.keys, Now: p.clock.Now})}
	}
	st := p.gw[0].st
	var err error
	if p.prop, err = st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test", TagFormat: "[#%d]"}); err != nil {
		t.Fatal(err)
	}
	if p.alice, err = st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		p.zoe, err = tx.Contact(p.prop.ID, "zoe@customer.test", "Zoe")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := sla.Policy{Targets: map[ticket.Priority]sla.Targets{
		ticket.PriorityHigh: {FirstResponse: sla.Duration(time.Hour), Resolution: sla.Duration(8 * time.Hour)},
	}}
	if err := p.gw[0].d.SetSLAPolicy(ctx, p.prop, desk.AsMember(p.alice), policy); err != nil {
		t.Fatal(err)
	}
	return p
}

// open opens n tickets of high priority from zoe.
func (p *deskPair) open(n int) []ticket.Ticket {
	p.t.Helper()
	var out []ticket.Ticket
	for range n {
		var tk ticket.Ticket
		err := p.gw[0].d.Run(context.Background(), p.prop, desk.AsContact(p.zoe), func(o *desk.Op) error {
			tk = ticket.Ticket{Subject: "Invoice is wrong", Status: ticket.StatusOpen, Priority: ticket.PriorityHigh}
			return o.Open(&tk, p.zoe, "mail from zoe")
		})
		if err != nil {
			p.t.Fatal(err)
		}
		out = append(out, tk)
	}
	return out
}

// race runs fn twice on each gateway at once.
func (p *deskPair) race(fn func(gateway) error) {
	p.t.Helper()
	var wg sync.WaitGroup
	for _, g := range []gateway{p.gw[0], p.gw[1], p.gw[0], p.gw[1]} {
		wg.Go(func() {
			if err := fn(g); err != nil {
				p.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// events counts each ticket's events of a kind whose detail starts with
// prefix.
func (p *deskPair) events(tks []ticket.Ticket, kind, prefix string) []int {
	p.t.Helper()
	out := make([]int, len(tks))
	for i, tk := range tks {
		evs, err := p.gw[0].st.Events(context.Background(), tk.ID)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == kind && len(e.Detail) >= len(prefix) && e.Detail[:len(prefix)] == prefix {
				out[i]++
			}
		}
	}
	return out
}

func tick(g gateway) error {
	_, err := g.d.Scheduler(desk.SchedulerOptions{}).Tick(context.Background())
	return err
}

// TestSchedulersWorkOnce: two gateways' schedulers, two each, race over
// the same due work: every snoozed ticket is woken once, every warning
// and every overdue alert is recorded and noticed once.
func TestSchedulersWorkOnce(t *testing.T) {
	p := newDeskPair(t)
	const n = 12
	snoozed, clocked := p.open(n), p.open(n)
	for _, tk := range snoozed {
		_, err := p.gw[0].d.Do(context.Background(), p.prop, desk.AsMember(p.alice), tk.Number, func(o *desk.Op, t *ticket.Ticket) error {
			return o.Snooze(t, t0.Add(30*time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	p.clock.Set(t0.Add(30 * time.Minute))
	p.race(tick)
	for i, c := range p.events(snoozed, "status", "") {
		if c != 2 { // snoozed, then woken
			t.Errorf("snoozed ticket %d: %d status events, want 2 (snoozed, woken once)", snoozed[i].Number, c)
		}
	}
	p.clock.Set(t0.Add(50 * time.Minute)) // 80% of the first response's hour
	p.race(tick)
	p.clock.Set(t0.Add(61 * time.Minute))
	p.race(tick)
	for i, c := range p.events(clocked, "sla-warning", "") {
		if c != 1 {
			t.Errorf("ticket %d: %d warnings, want 1", clocked[i].Number, c)
		}
	}
	for i, c := range p.events(clocked, "overdue", "") {
		if c != 1 {
			t.Errorf("ticket %d: %d overdue alerts, want 1", clocked[i].Number, c)
		}
	}
}

// TestDigestersFoldOnce: two gateways' digesters, two each, flush the same
// pending notices at once: each member's notices of a topic leave as one
// mail, and none is left pending.
func TestDigestersFoldOnce(t *testing.T) {
	p := newDeskPair(t)
	ctx := context.Background()
	var members []int64
	for i := range 10 {
		m, err := p.gw[0].st.AddMember(ctx, "acme", ticket.Member{Email: fmt.Sprintf("m%d@acme.test", i), Name: "M",
			Role: ticket.RoleAgent}, "test")
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m.ID)
	}
	err := p.gw[0].st.Update(ctx, func(tx *store.Tx) error {
		for _, m := range members {
			for i := range 3 {
				n := &store.PendingNotice{PropertyID: p.prop.ID, MemberID: m, Rcpt: "m@acme.test",
					Topic: "Overdue", Subject: "s", Body: "b" + string(rune('0'+i))}
				if err := tx.AddPendingNotice(n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.race(func(g gateway) error {
		_, err := outbox.NewDigester(outbox.DigestOptions{Store: g.st, Keys: p.keys, Now: p.clock.Now}).Flush(ctx)
		return err
	})
	rows, err := p.gw[1].st.Outbox(ctx, p.prop.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, r := range rows {
		if r.Kind == ticket.OutNotice {
			per[r.RcptID]++
		}
	}
	for _, m := range members {
		if per[m] != 1 {
			t.Errorf("member %d: %d notices queued, want one digest", m, per[m])
		}
	}
	if n, err := p.gw[0].st.Count(ctx, "pending_notices"); err != nil || n != 0 {
		t.Errorf("%d notices still pending (%v), want 0", n, err)
	}
}

// TestWebhookSendersAttemptOnce: two gateways' webhook senders, two each,
// take the same due deliveries at once: each is attempted once.
func TestWebhookSendersAttemptOnce(t *testing.T) {
	p := newDeskPair(t)
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	err := p.gw[0].d.Run(ctx, p.prop, desk.AsMember(p.alice), func(o *desk.Op) error {
		_, err := o.AddWebhook(desk.WebhookSpec{URL: srv.URL + "/hook", Events: []string{string(ticket.HookTicketCreated)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	p.open(n)
	// The fake clock stands still: a lease never runs out, and a
	// delivery attempted twice was claimed twice.
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, g := range []gateway{p.gw[0], p.gw[1], p.gw[0], p.gw[1]} {
		s := hook.New(hook.Options{Store: g.st, Now: p.clock.Now, Batch: 3, Poll: 5 * time.Millisecond, Timeout: 5 * time.Second})
		wg.Go(func() { s.Run(runCtx) })
	}
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	for deadline := time.Now().Add(20 * time.Second); delivered() < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a second attempt would be under way by now
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Errorf("%d events delivered, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 {
			t.Errorf("event %s attempted %d times, want 1", id, c)
		}
	}
}
