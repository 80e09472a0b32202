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

// Permanent reports whether a send error is permanent: a refusal (5xx),
// or a mail that cannot be rendered within the standards' limits.
func Permanent(err error) bool {
	var e *smtp.SMTPError
	var p permanentError
	return errors.As(err, &e) && e.Code >= 500 && e.Code < 600 || errors.As(err, &p)
}

// permanentError marks an error that trying again cannot cure.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanent(err error) error { return permanentError{err} }

// Relay sends through an SMTP relay given as a URL (see ParseRelay).
type Relay struct {
	addr      string
	implicit  bool
	tlsMode   string // tlsOpportunistic, tlsRequired or tlsNone
	tlsConfig *tls.Config
	auth      func() sasl.Client
	helo      string
	display   string
	timeout   time.Duration
}

// The relay's TLS modes (the URL's tls parameter).
const (
	tlsOpportunistic = "opportunistic" // STARTTLS when the relay offers it (the default)
	tlsRequired      = "required"      // STARTTLS or no delivery
	tlsNone          = "none"          // never TLS, even for AUTH
)

// ErrPlainAuth is returned when the relay cannot give TLS but credentials
// are configured: they are sent only over TLS unless tls=none says
// otherwise (RFC 4954 §4, RFC 4616 §6: PLAIN and LOGIN carry the password
// in the clear).
var ErrPlainAuth = errors.New("credentials are sent only over TLS; set tls=none in the relay URL to allow plain text")

// ParseRelay reads a relay URL. helo is the name we give in EHLO.
//
//	smtp://[user:pass@]host[:port][?tls=opportunistic|required|none][&auth=plain|login]
//	smtps://[user:pass@]host[:port][?auth=plain|login]
//
// smtp uses STARTTLS (RFC 3207) when the relay offers it; tls=required
// insists on it and tls=none never tries. With credentials, tls=opportunistic
// means required: AUTH happens only over TLS, unless tls=none is explicit.
// smtps is implicit TLS (RFC 8314 §3.3). Any other parameter is an error.
func ParseRelay(raw, helo string) (*Relay, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("relay URL: %w", err)
	}
	r := &Relay{helo: helo, tlsMode: tlsOpportunistic, timeout: 2 * time.Minute}
	switch u.Scheme {
	case "smtp":
		r.addr = hostPort(u.Host, "25")
	case "smtps":
		r.addr, r.implicit = hostPort(u.Host, "465"), true
	default:
		return nil, fmt.Errorf("relay URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	host, _, err := net.SplitHostPort(r.addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("relay URL: no host in %q", u.Redacted())
	}
	r.tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	q := u.Query()
	for name := range q {
		if name != "tls" && name != "auth" {
			return nil, fmt.Errorf("relay URL: unknown parameter %q (want tls or auth)", name)
		}
	}
	switch m := q.Get("tls"); m {
	case "", tlsOpportunistic, tlsRequired, tlsNone:
		if m != "" {
			r.tlsMode = m
		}
	default:
		return nil, fmt.Errorf("relay URL: tls=%q is not opportunistic, required or none", m)
	}
	if r.implicit && r.tlsMode == tlsNone {
		return nil, errors.New("relay URL: smtps is TLS from the start; tls=none contradicts it (use smtp://)")
	}
	if err := r.parseAuth(u.User, q.Get("auth")); err != nil {
		return nil, err
	}
	r.display = u.Scheme + "://" + r.addr
	return r, nil
}

// parseAuth sets the SASL mechanism for the URL's credentials.
func (r *Relay) parseAuth(user *url.Userinfo, mech string) error {
	if user == nil {
		if mech != "" {
			return fmt.Errorf("relay URL: auth=%s without user:password", mech)
		}
		return nil
	}
	name := user.Username()
	pass, _ := user.Password() // an empty password is a password
	switch mech {
	case "", "plain":
		r.auth = func() sasl.Client { return sasl.NewPlainClient("", name, pass) }
	case "login":
		r.auth = func() sasl.Client { return sasl.NewLoginClient(name, pass) }
	default:
		return fmt.Errorf("relay URL: auth=%q is not plain or login", mech)
	}
	return nil
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
	r    *Relay
	c    *smtp.Client
	conn net.Conn // c's connection, closed to cut a transaction off
}

// connect opens a connection to the relay, with TLS as the mode asks, and
// authenticates. The password is never sent over a connection without TLS
// unless the mode is tls=none.
func (s *relaySender) connect(ctx context.Context) error {
	c, err := s.open(ctx)
	if err != nil {
		return err
	}
	if s.r.auth != nil {
		if _, secure := c.TLSConnectionState(); !secure && s.r.tlsMode != tlsNone {
			c.Close()
			return fmt.Errorf("AUTH %s: %w", s.r.addr, ErrPlainAuth)
		}
		if err := c.Auth(s.r.auth()); err != nil {
			c.Close()
			return fmt.Errorf("AUTH %s: %w", s.r.addr, err)
		}
	}
	s.c = c
	return nil
}

// open connects as the TLS mode asks. In opportunistic mode without
// credentials it greets the relay in plain text and keeps that connection
// when STARTTLS is not offered; when it is offered, it connects again with
// STARTTLS, and a failure there is an error, never a silent fallback.
func (s *relaySender) open(ctx context.Context) (*smtp.Client, error) {
	switch {
	case s.r.implicit || s.r.tlsMode == tlsNone:
		return s.dial(ctx, false)
	case s.r.tlsMode == tlsRequired:
		return s.dial(ctx, true)
	case s.r.auth != nil:
		c, err := s.dial(ctx, true)
		if err != nil {
			return nil, fmt.Errorf("%w (%w)", err, ErrPlainAuth)
		}
		return c, nil
	}
	c, err := s.dial(ctx, false)
	if err != nil {
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, nil
	}
	if err := c.Quit(); err != nil {
		c.Close()
	}
	return s.dial(ctx, true)
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
	if err := conn.SetDeadline(time.Now().Add(s.r.timeout)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect %s: %w", s.r.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	if startTLS {
		if c, err = smtp.NewClientStartTLS(conn, s.r.tlsConfig); err != nil {
			return nil, fmt.Errorf("STARTTLS with %s (tls=%s): %w", s.r.addr, s.r.tlsMode, err)
		}
	} else {
		c = smtp.NewClient(conn)
		if err := c.Hello(s.r.helo); err != nil {
			c.Close()
			return nil, fmt.Errorf("EHLO %s: %w", s.r.addr, err)
		}
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect %s: %w", s.r.addr, err)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.r.timeout, s.r.timeout
	s.conn = conn
	return c, nil
}

// Send hands one message to the relay. When ctx ends before the relay has
// answered, the connection is closed: the message counts as not sent (RFC
// 5321 §4.1.1.4: it is the relay's reply to the end of DATA that takes
// responsibility for it), and the error is a temporary one.
func (s *relaySender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	from, to, err := envelopePaths(from, to)
	if err != nil {
		return err
	}
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	conn := s.conn
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err = s.transaction(from, to, msg)
	if !stop() && err != nil {
		err = fmt.Errorf("%s: %w", cutOffReason(ctx), err)
	}
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
	dir  string
	host string // in file names, as the Maildir convention asks
	seq  atomic.Uint64
}

// NewMaildir creates the Maildir's folders under dir.
func NewMaildir(dir string) (*Maildir, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("maildir: the host name, for file names: %w", err)
	}
	return &Maildir{dir: dir, host: strings.ReplaceAll(host, "/", "_")}, nil
}

func (m *Maildir) String() string { return "maildir " + m.dir }

// Open returns the Maildir itself: writing needs no connection.
func (m *Maildir) Open() Sender { return m }

// Send writes one file per recipient: to tmp/, synced, then renamed into
// new/, as the Maildir convention requires for atomic delivery.
func (m *Maildir) Send(_ context.Context, from string, to []string, msg []byte) error {
	from, to, err := envelopePaths(from, to)
	if err != nil {
		return err
	}
	for _, rcpt := range to {
		name := strconv.FormatInt(time.Now().UnixNano(), 10) + "." + strconv.FormatUint(m.seq.Add(1), 10) + "." + m.host
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

// cutOffReason says why an attempt's context ended: the end of its claim's
// lease (see Options.Lease), or the shutdown grace period.
func cutOffReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "cut off at the deadline of this gateway's claim on the row"
	}
	return "cut off after the shutdown grace period"
}
