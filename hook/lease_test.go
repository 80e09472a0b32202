package hook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
)

// slowReceiver is an endpoint that takes its time over each request and
// then answers status, counting the requests it has in hand for one
// webhook-id at once.
type slowReceiver struct {
	srv    *httptest.Server
	delay  time.Duration
	status int

	mu       sync.Mutex
	inFlight map[string]int
	calls    int
	overlaps []string // ids received while a request of the same id was in hand
}

func newSlowReceiver(t *testing.T, delay time.Duration, status int) *slowReceiver {
	r := &slowReceiver{delay: delay, status: status, inFlight: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.calls++
		if r.inFlight[id] > 0 {
			r.overlaps = append(r.overlaps, id)
		}
		r.inFlight[id]++
		r.mu.Unlock()
		defer func() { r.mu.Lock(); r.inFlight[id]--; r.mu.Unlock() }()
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
		}
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *slowReceiver) counts() (calls int, overlaps []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, append([]string(nil), r.overlaps...)
}

// TestSlowEndpointNotSentTwiceAtOnce: two gateways share the queue; an
// endpoint answers 200 but slowly, so that one round's deliveries to it
// take longer than the lease. No delivery may be sent by the second
// gateway while the first still has it in hand: a sender starts an
// attempt only while the attempt fits in its lease.
func TestSlowEndpointNotSentTwiceAtOnce(t *testing.T) {
	f := newFixture(t)
	f.clock.mu.Lock()
	f.clock.since = time.Now()
	f.clock.mu.Unlock()
	const timeout = 200 * time.Millisecond
	r := newSlowReceiver(t, 120*time.Millisecond, http.StatusOK)
	w := f.hook(&receiver{srv: r.srv})
	for range 4 {
		f.open() // ticket.created, ticket.assigned
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		s := New(Options{Store: f.st, Now: f.clock.Now, Timeout: timeout, Poll: 20 * time.Millisecond})
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if n := len(f.log(w)); n >= 8 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	calls, overlaps := r.counts()
	if len(overlaps) > 0 {
		t.Errorf("sent while the other gateway had it in hand: %v (%d requests for 8 events)", overlaps, calls)
	}
	if got := len(f.log(w)); got < 8 {
		t.Errorf("%d attempts logged, want the 8 events delivered", got)
	}
}

// TestHangingEndpointOneAttemptPerRound: an endpoint that hangs until the
// timeout is tried once per round, not once per delivery claimed: a
// round waits for every endpoint's deliveries, so 8 hanging attempts
// would keep every other endpoint's new events waiting 8 timeouts.
func TestHangingEndpointOneAttemptPerRound(t *testing.T) {
	f := newFixture(t)
	const timeout = 100 * time.Millisecond
	f.s = New(Options{Store: f.st, Now: f.clock.Now, Timeout: timeout})
	hang := newSlowReceiver(t, 2*time.Second, http.StatusOK)
	f.hook(&receiver{srv: hang.srv})
	good := newReceiver(t)
	f.hook(good)
	for range 4 {
		f.open()
	}
	start := time.Now()
	f.round()
	took := time.Since(start)
	if calls, _ := hang.counts(); calls != 1 {
		t.Errorf("hanging endpoint tried %d times in one round, want 1", calls)
	}
	if took > 3*timeout {
		t.Errorf("round took %s with a %s timeout", took, timeout)
	}
	if n := len(good.received()); n != 8 {
		t.Errorf("working endpoint got %d events, want 8", n)
	}
}

// TestRemovedWhileInHand: an endpoint removed while one of its deliveries
// is being sent: the attempt's end is recorded without error, and leaves
// no line of a delivery log behind for an endpoint that is gone.
func TestRemovedWhileInHand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, status := range []int{http.StatusOK, http.StatusServiceUnavailable} {
		r := newSlowReceiver(t, 0, status)
		w := f.hook(&receiver{srv: r.srv})
		f.open()
		due, err := f.st.ClaimDeliveries(ctx, time.Minute, 10)
		if err != nil || len(due) == 0 {
			t.Fatalf("claim: %d, %v", len(due), err)
		}
		err = f.d.Run(ctx, f.prop, desk.AsMember(f.alice), func(o *desk.Op) error { return o.RemoveWebhook(w.ID) })
		if err != nil {
			t.Fatal(err)
		}
		if got := f.s.deliver(ctx, due[0]); got == "" {
			t.Errorf("answer %d: the attempt of a removed endpoint's delivery was not recorded", status)
		}
		if l := f.log(w); len(l) != 0 {
			t.Errorf("answer %d: a removed endpoint has a delivery log: %q", status, l)
		}
	}
}
