package smtpd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// backend creates a session per connection, each with a context that
// outlives the server's (a shutdown lets the message being received be
// delivered) and ends when the grace period of a shutdown has passed.
type backend struct {
	srv  *Server
	base context.Context
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	ctx, cancel := context.WithCancel(b.base)
	b.srv.opts.Observer.SessionStarted()
	remote := c.Conn().RemoteAddr().String()
	return &session{
		srv: b.srv, conn: c, ctx: ctx, cancel: cancel,
		log: b.srv.log.With("remote", remote, "helo", c.Hostname()),
	}, nil
}

type session struct {
	srv    *Server
	conn   *smtp.Conn
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger

	from  string
	rcpts []string
}

func (s *session) Reset() {
	s.from, s.rcpts = "", nil
	if g := guarded(s.conn.Conn()); g != nil {
		g.stopping.Store(false)
	}
}

func (s *session) Logout() error {
	s.cancel()
	return nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	return s.observe("MAIL", s.mail(from, opts))
}

func (s *session) mail(from string, opts *smtp.MailOptions) error {
	if opts != nil && opts.Size > s.srv.opts.MaxMessageBytes {
		return errTooBig(s.srv.opts.MaxMessageBytes)
	}
	s.from = from // a declared SIZE reserves nothing: memory is taken as bytes arrive
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	return s.observe("RCPT", s.rcpt(to, opts))
}

func (s *session) Data(r io.Reader) error {
	return s.observe("DATA", s.data(r))
}

// observe tells the observer the code of the reply to command that err
// makes, and returns err.
func (s *session) observe(command string, err error) error {
	code := 250
	var smtpErr *smtp.SMTPError
	switch {
	case errors.As(err, &smtpErr):
		code = smtpErr.Code
	case err != nil:
		code = 451 // go-smtp's answer to an error that is not a reply; reply() leaves none
	}
	s.srv.opts.Observer.Replied(command, code)
	return err
}

func (s *session) rcpt(to string, _ *smtp.RcptOptions) error {
	for _, r := range s.rcpts {
		if strings.EqualFold(r, to) {
			return nil // the same recipient twice is one recipient
		}
	}
	if err := s.srv.d.CheckRecipient(s.ctx, to); err != nil {
		s.log.Info("recipient refused", "rcpt", to, "err", err)
		return reply(stageRcpt, err)
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) data(r io.Reader) error {
	start := time.Now()
	deadline := start.Add(s.srv.opts.DataTimeout)
	if err := s.conn.Conn().SetReadDeadline(deadline); err != nil {
		return reply(stageData, err)
	}
	g := guarded(s.conn.Conn())
	if g != nil {
		g.receivingData(deadline) // a shutdown lets this message arrive
	}
	dr := newDotReader(r)
	msg, err := receive(dr, s.srv.memory, s.srv.opts.SpoolDir)
	if g != nil {
		g.receivingData(time.Time{})
	}
	if dr.Ended() {
		defer s.stopDataReader()
	}
	if err != nil {
		s.log.Info("data not received", "from", s.from, "err", err)
		return reply(stageData, err)
	}
	defer func() {
		if err := msg.Close(); err != nil {
			s.log.Warn("removing the spool file", "err", err)
		}
	}()
	err = s.srv.d.DeliverRaw(s.ctx, s.from, s.rcpts, msg.reader(), msg.Size())
	level, outcome := slog.LevelInfo, "accepted"
	if err != nil {
		level, outcome = slog.LevelWarn, "refused"
		if !permanent(err) {
			level, outcome = slog.LevelError, "deferred"
		}
	}
	s.log.Log(s.ctx, level, "message "+outcome, "from", s.from, "rcpts", s.rcpts, "size", msg.Size(),
		"spooled", msg.file != nil, "took", time.Since(start).Round(time.Microsecond), "err", err)
	return reply(stageData, err)
}

// stopDataReader ends go-smtp's wait for an end of DATA that dotReader
// found and go-smtp's reader missed, so that the reply goes out now.
func (s *session) stopDataReader() {
	g := guarded(s.conn.Conn())
	if g == nil {
		s.log.Error("cannot stop the DATA reader: connection not ours; the reply waits for the data timeout")
		return
	}
	if err := g.stopDataReader(); err != nil {
		s.log.Warn("stop DATA reader", "err", err)
	}
}

type stage int

const (
	stageRcpt stage = iota
	stageData
)

// reply maps every error of a session to its SMTP reply, in one place.
// Internal errors are logged by the caller and shown as a generic 451.
func reply(st stage, err error) error {
	var smtpErr *smtp.SMTPError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &smtpErr):
		return smtpErr // already an SMTP reply (size limit, from go-smtp)
	case errors.Is(err, smtp.ErrDataTooLarge):
		return err
	case errors.Is(err, errSpool):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
			Message: "Insufficient system storage, try again later"}
	case errors.Is(err, smtp.ErrTooLongLine):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "Message has a line too long or no CRLF line ends (RFC 5321 §4.5.3.1.6)"}
	case permanent(err) && st == stageRcpt:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: err.Error()}
	case permanent(err):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	case isTimeout(err):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Timeout waiting for data, try again"}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
}

func errTooBig(max int64) error {
	return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
		Message: "Message size exceeds the limit of " + formatBytes(max)}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
