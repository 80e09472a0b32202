package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Transport hands finished mail on. Each delivery goroutine opens its own
// Sender, which may keep a connection for many messages.
type Transport interface {
	Open() Sender
	// String names the transport for logs, without secrets.
	String() string
}

// Sender sends messages one at a time.
type Sender interface {
	// Send delivers msg from the envelope sender to the recipients. An error
	// that is a *smtp.SMTPError with a 5xx code is permanent; any other
	// error is temporary and the message is tried again later.
	Send(ctx context.Context, from string, to []string, msg []byte) error
	Close() error
}

// Permanent reports whether a send error is a permanent refusal (5xx).
func Permanent(err error) bool {
	var e *smtp.SMTPError
	return errors.As(err, &e) && e.Code >= 500 && e.Code < 600
}

// Relay sends through an SMTP relay given as a URL: smtp://host:port
// (STARTTLS when offered; ?tls=required insists on it, ?tls=none never
// tries) or smtps://host:port (implicit TLS), with user:password for AUTH
// PLAIN, or AUTH LOGIN with ?auth=login.
type Relay struct {
	addr      string
	implicit  bool
	tlsMode   string // "opportunistic", "required", "none"
	tlsConfig *tls.Config
	auth      func() sasl.Client
	helo      string
	display   string
	timeout   time.Duration
}

// ParseRelay reads a relay URL. helo is the name we give in EHLO.
func ParseRelay(raw, helo string) (*Relay, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("relay URL: %w", err)
	}
	r := &Relay{helo: helo, tlsMode: "opportunistic", timeout: 2 * time.Minute}
	switch u.Scheme {
	case "smtp":
		r.addr = hostPort(u.Host, "25")
	case "smtps":
		r.addr, r.implicit = hostPort(u.Host, "465"), true
	default:
		return nil, fmt.Errorf("relay URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	host, _, _ := net.SplitHostPort(r.addr)
	r.tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	q := u.Query()
	switch m := q.Get("tls"); m {
	case "", "opportunistic", "required", "none":
		if m != "" {
			r.tlsMode = m
		}
	default:
		return nil, fmt.Errorf("relay URL: tls=%q is not opportunistic, required or none", m)
	}
	if q.Get("insecure") == "true" {
		r.tlsConfig.InsecureSkipVerify = true
	}
	if u.User != nil {
		user := u.User.Username()
		pass, _ := u.User.Password()
		switch q.Get("auth") {
		case "", "plain":
			r.auth = func() sasl.Client { return sasl.NewPlainClient("", user, pass) }
		case "login":
			r.auth = func() sasl.Client { return sasl.NewLoginClient(user, pass) }
		default:
			return nil, fmt.Errorf("relay URL: auth=%q is not plain or login", q.Get("auth"))
		}
	}
	r.display = u.Scheme + "://" + r.addr
	return r, nil
}

func hostPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, port)
}

func (r *Relay) String() string { return r.display }

// Open returns a sender that connects on first use and keeps the
// connection for the next messages.
func (r *Relay) Open() Sender { return &relaySender{r: r} }

type relaySender struct {
	r *Relay
	c *smtp.Client
}

func (s *relaySender) connect(ctx context.Context) error {
	c, err := s.dial(ctx, s.r.tlsMode != "none" && !s.r.implicit)
	if err != nil && s.r.tlsMode == "opportunistic" && strings.Contains(err.Error(), "STARTTLS") {
		c, err = s.dial(ctx, false) // the relay offers no STARTTLS: plain it is
	}
	if err != nil {
		return err
	}
	if s.r.auth != nil {
		if err := c.Auth(s.r.auth()); err != nil {
			c.Close()
			return fmt.Errorf("AUTH %s: %w", s.r.addr, err)
		}
	}
	s.c = c
	return nil
}

// dial connects and greets the relay, upgrading with STARTTLS when asked.
// (go-smtp's STARTTLS client greets as "localhost"; plain and implicit TLS
// connections greet with our name.)
func (s *relaySender) dial(ctx context.Context, startTLS bool) (*smtp.Client, error) {
	d := net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	var err error
	if s.r.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: s.r.tlsConfig}).DialContext(ctx, "tcp", s.r.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.r.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", s.r.addr, err)
	}
	conn.SetDeadline(time.Now().Add(s.r.timeout))
	var c *smtp.Client
	if startTLS {
		if c, err = smtp.NewClientStartTLS(conn, s.r.tlsConfig); err != nil {
			return nil, fmt.Errorf("STARTTLS %s: %w", s.r.addr, err)
		}
	} else {
		c = smtp.NewClient(conn)
		if err := c.Hello(s.r.helo); err != nil {
			c.Close()
			return nil, fmt.Errorf("EHLO %s: %w", s.r.addr, err)
		}
	}
	conn.SetDeadline(time.Time{})
	c.CommandTimeout, c.SubmissionTimeout = s.r.timeout, s.r.timeout
	return c, nil
}

func (s *relaySender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	err := s.transaction(from, to, msg)
	if err != nil {
		// A refusal leaves the connection usable after RSET; anything
		// else (a dropped connection) means a fresh one next time.
		var smtpErr *smtp.SMTPError
		if !errors.As(err, &smtpErr) || s.c.Reset() != nil {
			s.Close()
		}
	}
	return err
}

func (s *relaySender) transaction(from string, to []string, msg []byte) error {
	if err := s.c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := s.c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := s.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func (s *relaySender) Close() error {
	if s.c == nil {
		return nil
	}
	err := s.c.Quit()
	s.c.Close()
	s.c = nil
	return err
}

// Maildir writes outbound mail into a Maildir (new/ holds what was "sent"),
// for a gateway with no relay configured: nothing is lost, and an admin can
// read or forward it. Each file starts with Return-Path and Delivered-To
// headers giving its envelope.
type Maildir struct {
	dir string
	seq atomic.Uint64
}

// NewMaildir creates the Maildir's folders under dir.
func NewMaildir(dir string) (*Maildir, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
	}
	return &Maildir{dir: dir}, nil
}

func (m *Maildir) String() string { return "maildir " + m.dir }

// Open returns the Maildir itself: writing needs no connection.
func (m *Maildir) Open() Sender { return m }

// Send writes one file per recipient: to tmp/, synced, then renamed into
// new/, as the Maildir convention requires for atomic delivery.
func (m *Maildir) Send(_ context.Context, from string, to []string, msg []byte) error {
	host, _ := os.Hostname()
	for _, rcpt := range to {
		name := strconv.FormatInt(time.Now().UnixNano(), 10) + "." + strconv.FormatUint(m.seq.Add(1), 10) + "." +
			strings.ReplaceAll(host, "/", "_")
		data := append([]byte("Return-Path: <"+from+">\r\nDelivered-To: "+rcpt+"\r\n"), msg...)
		tmp := filepath.Join(m.dir, "tmp", name)
		if err := writeSynced(tmp, data); err != nil {
			return fmt.Errorf("maildir: %w", err)
		}
		if err := os.Rename(tmp, filepath.Join(m.dir, "new", name)); err != nil {
			return fmt.Errorf("maildir: %w", err)
		}
	}
	return nil
}

func (m *Maildir) Close() error { return nil }

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
