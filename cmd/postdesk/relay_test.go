package main

import (
	"context"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// relayed is one mail a test relay received.
type relayed struct {
	from string
	to   []string
	raw  []byte
	msg  *mail.Message
}

func (r relayed) header(k string) string { return r.msg.Header.Get(k) }

func (r relayed) body() string {
	b, _ := io.ReadAll(r.msg.Body)
	return string(b)
}

// testRelay is an SMTP server standing in for the outbound relay: it keeps
// what it receives, and can answer every mail with a chosen error.
type testRelay struct {
	addr string
	mu   sync.Mutex
	got  []relayed
	fail *smtp.SMTPError
	// onMail, when set, sees every mail (for auto-responders and loops).
	onMail func(relayed)
}

func startRelay(t *testing.T) *testRelay {
	t.Helper()
	r := &testRelay{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *testRelay) url() string { return "smtp://" + r.addr + "?tls=none" }

type relaySession struct {
	r    *testRelay
	from string
	to   []string
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	if s.r.fail != nil {
		s.r.mu.Unlock()
		return s.r.fail
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		s.r.mu.Unlock()
		return err
	}
	got := relayed{from: s.from, to: s.to, raw: raw, msg: m}
	s.r.got = append(s.r.got, got)
	hook := s.r.onMail
	s.r.mu.Unlock()
	if hook != nil {
		go hook(got)
	}
	return nil
}

// to returns the mails received for rcpt so far.
func (r *testRelay) to(rcpt string) []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []relayed
	for _, g := range r.got {
		for _, to := range g.to {
			if strings.EqualFold(to, rcpt) {
				fresh, _ := mail.ReadMessage(strings.NewReader(string(g.raw)))
				g.msg = fresh
				out = append(out, g)
			}
		}
	}
	return out
}

func (r *testRelay) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// waitFor waits until rcpt has received n mails and returns them.
func (r *testRelay) waitFor(t *testing.T, rcpt string, n int) []relayed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if got := r.to(rcpt); len(got) >= n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s received %d mails, want %d", rcpt, len(r.to(rcpt)), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
