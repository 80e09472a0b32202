package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/postdesk/postdesk/ingest"
)

// Exit statuses of `postdesk deliver`, from sysexits.h, as MTAs read them:
// Postfix's pipe(8) bounces on EX_NOUSER, EX_DATAERR and EX_UNAVAILABLE and
// keeps the mail queued for a retry on EX_TEMPFAIL.
const (
	exDataErr     = 65 // the message cannot be read as mail
	exNoUser      = 67 // no property has the recipient address
	exUnavailable = 69 // the message is larger than max-message-size
	exTempFail    = 75 // anything else: the database busy, the disk full, a bad configuration
)

// exitError carries the exit status a command asks for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// deliver stores one message read from standard input, for an MTA that
// hands mail to a command (Postfix's pipe(8), a sendmail-style mailer). It
// goes through the same pipeline as mail received over SMTP, and runs
// beside `serve`: the database is shared through SQLite's WAL, and a lock
// held longer than db-busy-timeout makes it exit EX_TEMPFAIL, so the MTA
// tries again later.
//
// Anything that is not a permanent refusal (an unknown recipient, an
// unreadable or oversized message) exits EX_TEMPFAIL, a mistake in the
// command line or the configuration too: the mail stays in the MTA's queue,
// whose log shows the reason, rather than bouncing to a customer.
func deliver(ctx context.Context, e env) error {
	fs, l := flags("deliver", e)
	rcpt := fs.String("recipient", "", "the envelope recipient, an address of a property (required; Postfix: ${recipient})")
	sender := fs.String("sender", "", "the envelope sender (Postfix: ${sender}); empty for the null sender <>")
	cfg, err := parse(fs, l, e)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err == nil && *rcpt == "" {
		err = errors.New("--recipient is required")
	}
	if err != nil {
		return tempFail(err)
	}
	data, err := readMessage(e.stdin, cfg.MaxMessageBytes)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	st, err := openStore(ctx, cfg, log, e.now)
	if err != nil {
		return tempFail(err)
	}
	defer st.Close()
	pipeline, err := commandPipeline(ctx, cfg, st, log)
	if err != nil {
		return tempFail(err)
	}
	if err := pipeline.CheckRecipient(ctx, *rcpt); err != nil {
		return deliveryExit(err)
	}
	return deliveryExit(pipeline.Deliver(ctx, *sender, []string{*rcpt}, data))
}

// readMessage reads the message from standard input, at most limit bytes.
func readMessage(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		r = os.Stdin
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, tempFail(fmt.Errorf("read the message: %w", err))
	}
	if int64(len(data)) > limit {
		return nil, &exitError{exUnavailable, fmt.Errorf("5.3.4 message larger than max-message-size (%d bytes)", limit)}
	}
	return data, nil
}

// deliveryExit maps the pipeline's answer to an exit status: a permanent
// refusal of the recipient is EX_NOUSER, of the message EX_DATAERR, and
// every other error temporary.
func deliveryExit(err error) error {
	if err == nil {
		return nil
	}
	var rej *ingest.Rejection
	switch {
	case errors.As(err, &rej) && rej.UnknownRecipient:
		return &exitError{exNoUser, fmt.Errorf("5.1.1 %w", err)}
	case errors.As(err, &rej):
		return &exitError{exDataErr, fmt.Errorf("5.6.0 %w", err)}
	}
	return tempFail(err)
}

// tempFail asks the MTA to keep the mail and try again (RFC 3463 4.3.0).
func tempFail(err error) error {
	return &exitError{exTempFail, fmt.Errorf("4.3.0 deferred: %w", err)}
}
