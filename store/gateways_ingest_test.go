package store_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// pipelines is two gateways' inbound pipelines on one PostgreSQL database,
// with one property (acme, support@acme.test).
func pipelines(t *testing.T) (a, b *store.Store, pa, pb *ingest.Pipeline) {
	t.Helper()
	a, b = twoGateways(t)
	if _, err := a.AddProperty(context.Background(), ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test", TagFormat: "[#%d]"}); err != nil {
		t.Fatal(err)
	}
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("gateways test key 0123")})
	pa = ingest.New(ingest.Options{Store: a, Keys: keys, InstanceID: "gw-a"})
	pb = ingest.New(ingest.Options{Store: b, Keys: keys, InstanceID: "gw-b"})
	return a, b, pa, pb
}

// deliverAll delivers each mail through its pipeline, all at once.
func deliverAll(t *testing.T, mails []gatewayMail) {
	t.Helper()
	var wg sync.WaitGroup
	for _, m := range mails {
		wg.Go(func() {
			if err := m.p.Deliver(context.Background(), m.from, []string{"support@acme.test"}, []byte(m.raw)); err != nil {
				t.Errorf("deliver %s: %v", m.from, err)
			}
		})
	}
	wg.Wait()
}

type gatewayMail struct {
	p    *ingest.Pipeline
	from string
	raw  string
}

// ticketsByMessageID maps each stored Message-ID to its tickets' numbers
// (one per copy stored).
func ticketsByMessageID(t *testing.T, st *store.Store) (map[string][]int64, []ticket.Ticket) {
	t.Helper()
	ctx := context.Background()
	tks, err := st.Tickets(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, tk := range tks {
		msgs, err := st.Messages(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			out[m.MessageID] = append(out[m.MessageID], tk.Number)
		}
	}
	return out, tks
}

// TestRepliesAtTwoGatewaysOneTicket: two customers' replies to one mail
// postdesk never saw (their parent), each copying the other, arrive at two
// gateways at the same moment, for many parents at once: each pair lands
// in one ticket (the second joins the first's through the parent both
// reference, the ghost rule, as on one gateway).
func TestRepliesAtTwoGatewaysOneTicket(t *testing.T) {
	a, _, pa, pb := pipelines(t)
	const pairs = 20
	var mails []gatewayMail
	for i := range pairs {
		for j, p := range []*ingest.Pipeline{pa, pb} {
			from, other := fmt.Sprintf("c%d-%d@customer.test", i, j), fmt.Sprintf("c%d-%d@customer.test", i, 1-j)
			raw := fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nCc: %s\r\nSubject: Re: order %d\r\nMessage-ID: <r%d-%d@customer.test>\r\n"+
				"In-Reply-To: <parent%d@customer.test>\r\nReferences: <parent%d@customer.test>\r\n\r\nreply %d of %d\r\n",
				from, other, i, i, j, i, i, j, i)
			mails = append(mails, gatewayMail{p, from, raw})
		}
	}
	deliverAll(t, mails)
	byID, tks := ticketsByMessageID(t, a)
	for i := range pairs {
		ta, tb := byID[fmt.Sprintf("r%d-0@customer.test", i)], byID[fmt.Sprintf("r%d-1@customer.test", i)]
		if len(ta) != 1 || len(tb) != 1 || ta[0] != tb[0] {
			t.Errorf("replies to parent %d in tickets %v and %v, want one ticket", i, ta, tb)
		}
	}
	if len(tks) != pairs {
		t.Errorf("%d tickets, want %d", len(tks), pairs)
	}
}

// TestRetransmissionAtTwoGateways: one message arriving at both gateways
// at once, for many messages, is stored once each.
func TestRetransmissionAtTwoGateways(t *testing.T) {
	a, _, pa, pb := pipelines(t)
	const n = 20
	var mails []gatewayMail
	for i := range n {
		from := fmt.Sprintf("c%d@customer.test", i)
		raw := fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: question %d\r\nMessage-ID: <q%d@customer.test>\r\n\r\nwhere is it?\r\n", from, i, i)
		mails = append(mails, gatewayMail{pa, from, raw}, gatewayMail{pb, from, raw})
	}
	deliverAll(t, mails)
	byID, _ := ticketsByMessageID(t, a)
	for i := range n {
		if got := byID[fmt.Sprintf("q%d@customer.test", i)]; len(got) != 1 {
			t.Errorf("message %d stored %d times (tickets %v), want once", i, len(got), got)
		}
	}
}

// TestTicketNumbersAcrossGateways: many new tickets through both gateways
// at once are numbered 1..n, each number once.
func TestTicketNumbersAcrossGateways(t *testing.T) {
	a, _, pa, pb := pipelines(t)
	const n = 60
	var mails []gatewayMail
	for i := range n {
		p := []*ingest.Pipeline{pa, pb}[i%2]
		from := fmt.Sprintf("c%d@customer.test", i)
		raw := fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: new %d\r\nMessage-ID: <new%d@customer.test>\r\n\r\nhello\r\n", from, i, i)
		mails = append(mails, gatewayMail{p, from, raw})
	}
	deliverAll(t, mails)
	_, tks := ticketsByMessageID(t, a)
	var nums []int64
	for _, tk := range tks {
		nums = append(nums, tk.Number)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for i, got := range nums {
		if got != int64(i+1) {
			t.Fatalf("ticket numbers %v, want 1..%d each once", nums, n)
		}
	}
	if len(nums) != n {
		t.Errorf("%d tickets, want %d", len(nums), n)
	}
}

// TestManyIdentifiersAccepted: a mail naming 129 identifiers (its
// Message-ID, 64 In-Reply-To and 64 References, the most threading keeps)
// is stored on PostgreSQL, alone and in a group commit.
func TestManyIdentifiersAccepted(t *testing.T) {
	a, _, pa, _ := pipelines(t)
	ids := func(prefix string) string {
		var b strings.Builder
		for i := range threading.MaxReferences {
			fmt.Fprintf(&b, " <%s%d@customer.test>", prefix, i)
		}
		return b.String()
	}
	var mails []gatewayMail
	for i := range 4 {
		raw := fmt.Sprintf("From: zoe@customer.test\r\nTo: support@acme.test\r\nSubject: long thread\r\nMessage-ID: <many%d@customer.test>\r\n"+
			"In-Reply-To:%s\r\nReferences:%s\r\n\r\nhello\r\n", i, ids(fmt.Sprintf("irt%d-", i)), ids(fmt.Sprintf("ref%d-", i)))
		mails = append(mails, gatewayMail{pa, "zoe@customer.test", raw})
	}
	if err := pa.Deliver(context.Background(), mails[0].from, []string{"support@acme.test"}, []byte(mails[0].raw)); err != nil {
		t.Fatalf("deliver alone: %v", err)
	}
	deliverAll(t, mails[1:])
	byID, _ := ticketsByMessageID(t, a)
	for i := range mails {
		if got := byID[fmt.Sprintf("many%d@customer.test", i)]; len(got) != 1 {
			t.Errorf("mail %d stored %d times, want once", i, len(got))
		}
	}
}

// TestMultiPropertyMailAtTwoGateways: mail to two properties reaches two
// gateways at once with its recipients in opposite orders, replies to the
// same parents: every mail is stored in both properties and no
// transaction deadlocks (locked property by property in recipients'
// order, each gateway held one property's keys and waited for the other's).
func TestMultiPropertyMailAtTwoGateways(t *testing.T) {
	if !store.OnPostgres() {
		t.Skip("several gateways share a database on PostgreSQL only")
	}
	ctx := context.Background()
	var logs syncBuffer
	opts := store.FreshOptions(t)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	keys, _ := threading.NewKeys(1, map[uint8][]byte{1: []byte("gateways test key 0123")})
	var pls [2]*ingest.Pipeline
	var sts [2]*store.Store
	for i := range pls {
		st, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sts[i], pls[i] = st, ingest.New(ingest.Options{Store: st, Keys: keys, InstanceID: fmt.Sprintf("gw-%d", i)})
	}
	for _, slug := range []string{"acme", "beta"} {
		if _, err := sts[0].AddProperty(ctx, ticket.Property{Slug: slug, Name: slug, Addresses: []string{"support@" + slug + ".test"},
			FromAddress: "support@" + slug + ".test", TagFormat: "[#%d]"}); err != nil {
			t.Fatal(err)
		}
	}
	rcpts := [2][]string{{"support@acme.test", "support@beta.test"}, {"support@beta.test", "support@acme.test"}}
	const pairs = 30
	var wg sync.WaitGroup
	for i := range pairs {
		for j := range pls {
			wg.Go(func() {
				raw := fmt.Sprintf("From: c%d-%d@customer.test\r\nTo: support@acme.test, support@beta.test\r\nSubject: Re: order %d\r\n"+
					"Message-ID: <m%d-%d@customer.test>\r\nIn-Reply-To: <parent%d@customer.test>\r\nReferences: <parent%d@customer.test>\r\n\r\nhello\r\n",
					i, j, i, i, j, i, i)
				if err := pls[j].Deliver(ctx, fmt.Sprintf("c%d-%d@customer.test", i, j), rcpts[j], []byte(raw)); err != nil {
					t.Errorf("deliver pair %d at gateway %d: %v", i, j, err)
				}
			})
		}
	}
	wg.Wait()
	for _, slug := range []string{"acme", "beta"} {
		tks, err := sts[0].Tickets(ctx, slug, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, tk := range tks {
			msgs, err := sts[0].Messages(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			n += len(msgs)
		}
		if n != 2*pairs {
			t.Errorf("%s holds %d messages, want %d", slug, n, 2*pairs)
		}
	}
	if s := logs.String(); strings.Contains(s, "deadlock") {
		t.Errorf("deadlocks between the gateways:\n%s", s)
	}
}

// syncBuffer is a bytes.Buffer several goroutines' logs write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
