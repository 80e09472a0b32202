// Package smtptest provides an SMTP server for tests that stands in for a
// relay or a remote MX: it keeps what it receives, can refuse every mail with
// a chosen reply, and can hand each mail to a hook.
package smtptest

import (
	"context"
	"io"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one mail the relay received.
type Mail struct {
	From string   // envelope sender
	To   []string // envelope recipients
	Raw  []byte
	msg  *mail.Message
}

// Header returns a header field of the mail.
func (r Mail) Header(k string) string { return r.msg.Header.Get(k) }

// Body returns the undecoded body.
func (r Mail) Body() string {
	b, _ := io.ReadAll(r.msg.Body)
	return string(b)
}

// Relay is an SMTP server standing in for the outbound relay.
type Relay struct {
	Addr     string
	mu       sync.Mutex
	got      []Mail
	fail     *smtp.SMTPError
	hook     func(Mail)
	attempts int
	refuse   map[string]*smtp.SMTPError
}

// Start runs a relay on a loopback port until the test ends.
func Start(t testing.TB) *Relay {
	t.Helper()
	r := &Relay{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

// URL is the relay's address as postdesk's relay setting.
func (r *Relay) URL() string { return "smtp://" + r.Addr + "?tls=none" }

// Fail makes the relay answer every mail with err (nil: accept again).
func (r *Relay) Fail(err *smtp.SMTPError) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

// Refuse makes the relay refuse one recipient at RCPT with err.
func (r *Relay) Refuse(rcpt string, err *smtp.SMTPError) {
	r.mu.Lock()
	if r.refuse == nil {
		r.refuse = map[string]*smtp.SMTPError{}
	}
	r.refuse[strings.ToLower(rcpt)] = err
	r.mu.Unlock()
}

// OnMail sets a hook that sees every accepted mail, in its own goroutine.
func (r *Relay) OnMail(hook func(Mail)) {
	r.mu.Lock()
	r.hook = hook
	r.mu.Unlock()
}

// Attempts counts the DATA commands the relay answered, accepted or not.
func (r *Relay) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

type relaySession struct {
	r    *Relay
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
	s.r.mu.Lock()
	err := s.r.refuse[strings.ToLower(to)]
	s.r.mu.Unlock()
	if err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.attempts++
	if s.r.fail != nil {
		s.r.mu.Unlock()
		return s.r.fail
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		s.r.mu.Unlock()
		return err
	}
	got := Mail{From: s.from, To: s.to, Raw: raw, msg: m}
	s.r.got = append(s.r.got, got)
	hook := s.r.hook
	s.r.mu.Unlock()
	if hook != nil {
		go hook(got)
	}
	return nil
}

// To returns the mails received for rcpt so far.
func (r *Relay) To(rcpt string) []Mail {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Mail
	for _, g := range r.got {
		for _, to := range g.To {
			if strings.EqualFold(to, rcpt) {
				fresh, _ := mail.ReadMessage(strings.NewReader(string(g.Raw)))
				g.msg = fresh
				out = append(out, g)
			}
		}
	}
	return out
}

// Count is the number of mails accepted.
func (r *Relay) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// WaitFor waits until rcpt has received n mails and returns them.
func (r *Relay) WaitFor(t testing.TB, rcpt string, n int) []Mail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if got := r.To(rcpt); len(got) >= n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s received %d mails, want %d", rcpt, len(r.To(rcpt)), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SendOn sends one message over an open net/smtp client connection.
func SendOn(c *netsmtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}
