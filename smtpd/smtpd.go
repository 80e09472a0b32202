// Package smtpd is postdesk's inbound SMTP server (RFC 5321), built on
// github.com/emersion/go-smtp. It advertises SIZE (RFC 1870), PIPELINING
// (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES
// (RFC 2034) and, with a certificate, STARTTLS (RFC 3207).
//
// It knows nothing of storage: recipients are checked, and accepted mail is
// handed over, through the Deliverer it is given. A 250 reply to DATA means
// the Deliverer returned nil, which for postdesk means the message and all it
// caused are committed to disk.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// Deliverer is what the server hands mail to.
//
// An error with a method Permanent() bool that returns true is a permanent
// refusal whose text is shown to the client; any other error is temporary
// and answered with a generic 451 that reveals nothing internal.
type Deliverer interface {
	// CheckRecipient is called for each RCPT TO.
	CheckRecipient(ctx context.Context, addr string) error
	// DeliverRaw stores a message: the size bytes read through raw,
	// exactly as received. raw may be in memory or a spool file; in
	// memory it also has a method Bytes() []byte returning them all
	// without a copy. raw is valid until DeliverRaw returns.
	DeliverRaw(ctx context.Context, from string, to []string, raw io.ReaderAt, size int64) error
}

// Options configures a Server. Zero values take the defaults in brackets.
type Options struct {
	Domain          string      // the name in the greeting [localhost]
	TLSConfig       *tls.Config // enables STARTTLS when set
	MaxMessageBytes int64       // [25 MiB]
	MaxRecipients   int         // per message [100]
	MaxConnections  int         // concurrent connections [256]
	// MaxConnectionsPerIP bounds the concurrent connections of one client
	// (an IPv4 address or an IPv6 /64), so that one client cannot lock
	// every other sender out. Negative: no cap. [32]
	MaxConnectionsPerIP int
	// MaxLineLength bounds one line, of a command or of the message. RFC 5321
	// §4.5.3.1.6 sets 1000 octets, but real senders exceed it (unwrapped
	// HTML, CR-only line ends), so the default is lenient while still
	// bounding the memory a hostile client can hold. [128 KiB]
	MaxLineLength  int
	CommandTimeout time.Duration // waiting for a command line [5m, RFC 5321 §4.5.3.2.7]
	DataTimeout    time.Duration // receiving a whole message after DATA [10m]
	WriteTimeout   time.Duration // [1m]
	// MaxDataMemory bounds the bytes of DATA all sessions hold in memory
	// together; past it, messages are spooled to files in SpoolDir. A
	// session takes memory as bytes arrive, never on the word of the
	// SIZE parameter. [64 MiB]
	MaxDataMemory int64
	// SpoolDir holds messages received beyond MaxDataMemory until they are
	// delivered; files a crash left are removed at start. Empty: such
	// messages are deferred with 451 4.3.1.
	SpoolDir string
	// ShutdownGrace bounds how long a shutdown waits for the messages
	// being received and delivered. [30s]
	ShutdownGrace time.Duration
	Logger        *slog.Logger
	// Trace, when set, receives the raw protocol dialogue. It includes
	// message bodies and is meant for debugging only.
	Trace io.Writer
	// Observer, when set, is told of sessions and of the replies to MAIL,
	// RCPT and DATA (for metrics).
	Observer Observer
}

// Observer is told what the server does, for metrics. Its methods are
// called from the sessions' goroutines and must not block.
type Observer interface {
	// SessionStarted is called when a client's session begins.
	SessionStarted()
	// Replied is called with the code of each reply to command (MAIL,
	// RCPT or DATA): 250, or the refusal's code (RFC 5321 §4.2).
	Replied(command string, code int)
}

// noObserver is the Observer of a server told of nothing.
type noObserver struct{}

func (noObserver) SessionStarted()     {}
func (noObserver) Replied(string, int) {}

func (o *Options) setDefaults() {
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 25 << 20
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 100
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 256
	}
	switch {
	case o.MaxConnectionsPerIP == 0:
		o.MaxConnectionsPerIP = 32
	case o.MaxConnectionsPerIP < 0:
		o.MaxConnectionsPerIP = 0
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = 128 << 10
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = 10 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Minute
	}
	if o.MaxDataMemory <= 0 {
		o.MaxDataMemory = 64 << 20
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
}

// Server is an SMTP server for one listener.
type Server struct {
	opts   Options
	d      Deliverer
	log    *slog.Logger
	memory *memory
}

// New returns a server that hands mail to d.
func New(opts Options, d Deliverer) *Server {
	opts.setDefaults()
	return &Server{opts: opts, d: d, log: opts.Logger, memory: &memory{free: opts.MaxDataMemory}}
}

// Serve accepts connections on ln until ctx is cancelled or accepting fails.
//
// When ctx is cancelled it shuts down gracefully: the listener is closed at
// once (new connections are refused), a session waiting for a command is
// told 421 4.3.2 and closed, and a message being received or delivered goes
// on, with a context that is not cancelled, until its reply is sent; the
// session then ends at its next command. After ShutdownGrace, whatever is
// left is cancelled and closed. Serve returns nil once every session has
// ended, or the error that stopped accepting.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := cleanSpool(s.opts.SpoolDir); err != nil {
		return err
	}
	base, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	srv := smtp.NewServer(&backend{srv: s, base: base})
	srv.Domain = s.opts.Domain
	srv.TLSConfig = s.opts.TLSConfig
	srv.MaxMessageBytes = s.opts.MaxMessageBytes
	srv.MaxRecipients = s.opts.MaxRecipients
	srv.MaxLineLength = s.opts.MaxLineLength
	srv.ReadTimeout = s.opts.CommandTimeout
	srv.WriteTimeout = s.opts.WriteTimeout
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogAdapter{s.log}
	if s.opts.Trace != nil {
		srv.Debug = s.opts.Trace
	}
	lim := newLimitListener(ln, s.opts.MaxConnections, s.opts.MaxConnectionsPerIP, s.opts.Domain, s.log)
	addr := ln.Addr().String()
	s.log.Info("smtp listening", "addr", addr, "tls", s.opts.TLSConfig != nil)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lim) }()
	select {
	case err := <-errc:
		srv.Close()
		return fmt.Errorf("smtp serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	s.log.Info("smtp shutting down", "addr", addr, "grace", s.opts.ShutdownGrace)
	graceCtx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(graceCtx) }()
	lim.Close() // now, whether or not go-smtp's Serve has registered it yet
	lim.Drain()
	if err := <-shut; err != nil {
		s.log.Warn("smtp sessions still running after the grace period: cancelled", "err", err)
		hardStop()
		srv.Close()
	}
	<-errc
	s.log.Info("smtp stopped", "addr", addr)
	return nil
}

// slogAdapter lets go-smtp's internal error log reach slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Println(v ...any)               { a.log.Warn(fmt.Sprint(v...)) }

// permanent reports whether err is a permanent refusal.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
