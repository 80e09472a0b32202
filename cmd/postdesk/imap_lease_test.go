package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/imapfetch"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
)

// TestIMAPOneGatewayPerMailbox: two gateways' fetchers (two Stores on one
// PostgreSQL database, two Managers) fetch two mailboxes of a real IMAP
// server over loopback (go-imap's in-memory server): each mailbox is
// logged in to by one of them at a time, and each message is stored once.
// A gateway that dies holding leases loses its mailboxes to the other once
// the leases run out, not before.
func TestIMAPOneGatewayPerMailbox(t *testing.T) {
	db := newPostgresDB(t)
	cliOn(t, db, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	imapSrv := startCountingIMAP(t, "u1", "u2")
	stA, stB := openStoreOn(t, db), openStoreOn(t, db)
	ctx := context.Background()
	prop, err := stA.Property(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range []string{"u1", "u2"} {
		mb := &store.Mailbox{PropertyID: prop.ID, URL: fmt.Sprintf("imap://%s@%s/INBOX?tls=none", u, imapSrv.addr), PasswordEnv: "PW"}
		if err := stA.AddMailbox(ctx, mb); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, mb.ID)
	}
	opts := imapfetch.Options{Poll: 50 * time.Millisecond, Rescan: 100 * time.Millisecond, Lease: 1500 * time.Millisecond,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	total := 0
	add := func(n int) {
		for i := 0; i < n; i++ {
			for _, u := range []string{"u1", "u2"} {
				total++
				imapSrv.add(t, u, fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: m %d\r\nMessage-ID: <lease-%d@example.com>\r\n\r\nhi\r\n", total, total, total))
			}
		}
	}
	add(10)
	stopA := runFetchers(t, stA, "gw-a", opts)
	stopB := runFetchers(t, stB, "gw-b", opts)
	for i := 0; i < 10; i++ {
		add(2)
		time.Sleep(150 * time.Millisecond)
	}
	waitStored(t, stA, total, 30*time.Second)
	stopA()
	add(5) // B takes over A's mailboxes, which A released as it stopped
	waitStored(t, stA, total, 30*time.Second)
	stopB()
	if most := imapSrv.mostAtOnce(); most != 1 {
		t.Errorf("a mailbox had %d gateways logged in at once, want 1", most)
	}

	// Gateway A dies holding both leases: B waits for them to run out.
	diedAt := time.Now()
	for _, id := range ids {
		if held, err := stA.LeaseMailbox(ctx, id, "gw-a", diedAt, opts.Lease); err != nil || !held {
			t.Fatalf("lease mailbox %d as gw-a: %v, %v", id, held, err)
		}
	}
	logins := imapSrv.loginCount()
	add(5)
	stopB = runFetchers(t, stB, "gw-b", opts)
	waitStored(t, stA, total, 30*time.Second)
	took := time.Since(diedAt)
	stopB()
	if first := imapSrv.firstLoginAfter(logins); first.Before(diedAt.Add(opts.Lease)) {
		t.Errorf("gateway B logged in %v after A died, before A's lease of %v ran out", first.Sub(diedAt), opts.Lease)
	}
	if limit := opts.Lease + opts.Lease/3 + 2*time.Second; took > limit {
		t.Errorf("gateway B took %v to fetch A's mailboxes, want at most %v", took, limit)
	}
	if most := imapSrv.mostAtOnce(); most != 1 {
		t.Errorf("a mailbox had %d gateways logged in at once, want 1", most)
	}
	n, err := stA.Count(ctx, "messages")
	if err != nil || n != int64(total) {
		t.Errorf("%d messages stored (%v), want %d: each once", n, err, total)
	}
	t.Logf("%d messages in 2 mailboxes, each stored once, each mailbox fetched by one gateway at a time; A's leases taken over %v after it died (lease %v)",
		total, took.Round(time.Millisecond), opts.Lease)
}

// runFetchers runs, for the gateway name, the IMAP fetchers of serve on st,
// and returns what stops them and waits.
func runFetchers(t *testing.T, st *store.Store, name string, opts imapfetch.Options) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	keys, err := threadKeys(ctx, config.Config{}, st)
	if err != nil {
		t.Fatal(err)
	}
	pipeline := ingest.New(pipelineOptions(config.Config{}, st, keys, "deployment", log))
	src := newIMAPStore(st, name, pipeline, func(string) string { return "pw" }, log)
	done := make(chan struct{})
	go func() {
		defer close(done)
		imapfetch.NewManager(src, src, opts, log).Run(ctx)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitStored waits until n messages are stored.
func waitStored(t *testing.T, st *store.Store, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := st.Count(context.Background(), "messages")
		if err != nil {
			t.Fatal(err)
		}
		if got >= int64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages stored after %v, want %d", got, within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countingIMAP is go-imap's in-memory IMAP server on a loopback port,
// counting the sessions logged in to each user at once.
type countingIMAP struct {
	addr  string
	users map[string]*imapmemserver.User

	mu     sync.Mutex
	now    map[string]int
	most   int
	logins []time.Time
}

// startCountingIMAP serves users (password pw), each with an INBOX,
// offering IMAP4rev1 alone (the fetchers poll).
func startCountingIMAP(t *testing.T, users ...string) *countingIMAP {
	t.Helper()
	mem := imapmemserver.New()
	c := &countingIMAP{users: map[string]*imapmemserver.User{}, now: map[string]int{}}
	for _, name := range users {
		u := imapmemserver.NewUser(name, "pw")
		if err := u.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		mem.AddUser(u)
		c.users[name] = u
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &countingSession{Session: mem.NewSession(), srv: c}, nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}}, InsecureAuth: true, Logger: quietIMAPLog{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c.addr = ln.Addr().String()
	return c
}

func (c *countingIMAP) add(t *testing.T, user, raw string) {
	t.Helper()
	if _, err := c.users[user].Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (c *countingIMAP) enter(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now[user]++
	c.most = max(c.most, c.now[user])
	c.logins = append(c.logins, time.Now())
}

func (c *countingIMAP) leave(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now[user]--
}

func (c *countingIMAP) mostAtOnce() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.most
}

func (c *countingIMAP) loginCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.logins)
}

// firstLoginAfter is the time of the login after the first n.
func (c *countingIMAP) firstLoginAfter(n int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.logins) <= n {
		return time.Time{}
	}
	return c.logins[n]
}

// countingSession tells its server when it logs in and when it ends.
type countingSession struct {
	imapserver.Session
	srv  *countingIMAP
	user string
}

func (s *countingSession) Login(user, password string) error {
	if err := s.Session.Login(user, password); err != nil {
		return err
	}
	s.user = user
	s.srv.enter(user)
	return nil
}

func (s *countingSession) Close() error {
	if s.user != "" {
		s.srv.leave(s.user)
		s.user = ""
	}
	return s.Session.Close()
}

type quietIMAPLog struct{}

func (quietIMAPLog) Printf(string, ...any) {}
