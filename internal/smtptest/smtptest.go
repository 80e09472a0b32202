// Package smtptest provides an SMTP server for tests that stands in for a
// relay or a remote MX: it keeps what it receives, can refuse every mail with
// a chosen reply, and can hand each mail to a hook.
package smtptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
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
	stall    <-chan struct{} // when set, each reply to DATA waits for it to close
	refuse   map[string]*smtp.SMTPError
	auths    []Auth
	wire     bytes.Buffer
	certs    *x509.CertPool
}

// Options chooses what the relay offers beyond plain SMTP.
type Options struct {
	// STARTTLS offers STARTTLS (RFC 3207) with a self-signed certificate
	// for 127.0.0.1, which Relay.CertPool trusts.
	STARTTLS bool
	// RefuseSTARTTLS, with STARTTLS, advertises it but answers the command
	// 454 4.7.0 (RFC 3207 §4: TLS not available).
	RefuseSTARTTLS bool
	// Auth offers AUTH PLAIN, with or without TLS, accepts any credentials
	// and records them (Relay.Auths).
	Auth bool
}

// Auth is one AUTH the relay received.
type Auth struct {
	Username, Password string
	TLS                bool // whether the connection was encrypted
}

// Start runs a plain relay on a loopback port until the test ends.
func Start(t testing.TB) *Relay { return StartWith(t, Options{}) }

// StartWith runs a relay offering what opts asks until the test ends. It
// keeps every byte clients send, as on the wire (Relay.Wire).
func StartWith(t testing.TB, opts Options) *Relay {
	t.Helper()
	r := &Relay{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s := &relaySession{r: r, conn: c}
		if opts.Auth {
			return &authSession{s}, nil
		}
		return s, nil
	}))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	if opts.STARTTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		srv.TLSConfig, r.certs = &tls.Config{Certificates: []tls.Certificate{cert}}, pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = ln.Addr().String()
	go srv.Serve(&tapListener{Listener: ln, r: r, refuseTLS: opts.RefuseSTARTTLS})
	t.Cleanup(func() { srv.Close() })
	return r
}

// CertPool trusts the relay's certificate (nil without STARTTLS).
func (r *Relay) CertPool() *x509.CertPool { return r.certs }

// Auths returns the AUTH attempts so far.
func (r *Relay) Auths() []Auth {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Auth(nil), r.auths...)
}

// Wire returns every byte clients sent so far, as received from the
// network: after STARTTLS, ciphertext.
func (r *Relay) Wire() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.wire.Bytes())
}

// tapListener records what its connections read.
type tapListener struct {
	net.Listener
	r         *Relay
	refuseTLS bool
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, r: l.r, refuseTLS: l.refuseTLS}, nil
}

type tapConn struct {
	net.Conn
	r         *Relay
	refuseTLS bool
}

// Read records what the client sent and, when STARTTLS is to be refused,
// answers that command itself so that the server never sees it.
func (c *tapConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		c.r.mu.Lock()
		c.r.wire.Write(p[:n])
		c.r.mu.Unlock()
		if c.refuseTLS && err == nil && strings.EqualFold(string(p[:n]), "STARTTLS\r\n") {
			if _, err := io.WriteString(c.Conn, "454 4.7.0 TLS not available\r\n"); err != nil {
				return 0, err
			}
			continue
		}
		return n, err
	}
}

// selfSigned makes a certificate for 127.0.0.1 valid for a day and a pool
// trusting it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool, nil
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

// Stall makes the relay read each message whole, count it in Attempts and
// then hold its reply to the end of DATA until release is closed, as a
// relay that has stalled does; then it answers as it otherwise would. The
// caller closes release before the test ends.
func (r *Relay) Stall(release <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stall = release
}

// Attempts counts the DATA commands the relay answered, accepted or not.
func (r *Relay) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

type relaySession struct {
	r    *Relay
	conn *smtp.Conn
	from string
	to   []string
}

// authSession is a session that offers AUTH PLAIN.
type authSession struct{ *relaySession }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, errors.New("unsupported mechanism")
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		_, secure := s.conn.TLSConnectionState()
		s.r.mu.Lock()
		s.r.auths = append(s.r.auths, Auth{Username: user, Password: pass, TLS: secure})
		s.r.mu.Unlock()
		return nil
	}), nil
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
	if stall := s.r.stall; stall != nil {
		s.r.mu.Unlock()
		<-stall
		s.r.mu.Lock()
	}
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

// HeaderLines returns every header line of a raw message: those of its
// header and of the header of each MIME part, at any depth (RFC 2046
// §5.1.1), as written, without the line end.
func HeaderLines(raw []byte) []string {
	var out []string
	header, body, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	out = append(out, strings.Split(header, "\n")...)
	m, err := mail.ReadMessage(strings.NewReader(header + "\n\n"))
	if err != nil {
		return out
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return out
	}
	parts := strings.Split("\n"+body, "\n--"+params["boundary"])
	for _, p := range parts[1:] {
		if strings.HasPrefix(p, "--") { // the closing delimiter
			break
		}
		_, p, _ = strings.Cut(p, "\n") // the rest of the delimiter line
		out = append(out, HeaderLines([]byte(p))...)
	}
	return out
}
