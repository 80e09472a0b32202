package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/smtpd"
)

// serve runs the gateway until the context is cancelled (SIGINT, SIGTERM).
func serve(ctx context.Context, e env) error {
	fs, l := flags("serve", e)
	cfg, err := parse(fs, l, e)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "path", cfg.DatabasePath())

	pipeline := ingest.New(ingest.Options{Store: st, Logger: log.With("component", "ingest")})
	smtpOpts, closeTrace, err := smtpOptions(cfg)
	if err != nil {
		return err
	}
	defer closeTrace()
	smtpOpts.Logger = log.With("component", "smtpd")
	ln, err := net.Listen("tcp", cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("smtp listen: %w", err)
	}
	err = smtpd.New(smtpOpts, pipeline).Serve(ctx, ln)
	log.Info("postdesk stopped")
	return err
}

// smtpOptions copies the SMTP settings out of the configuration.
func smtpOptions(cfg config.Config) (smtpd.Options, func(), error) {
	opts := smtpd.Options{
		Domain: cfg.SMTPDomain, MaxMessageBytes: cfg.MaxMessageBytes, MaxRecipients: cfg.MaxRecipients,
		MaxConnections: cfg.MaxConnections, CommandTimeout: cfg.CommandTimeout, DataTimeout: cfg.DataTimeout,
	}
	if opts.Domain == "" {
		opts.Domain, _ = os.Hostname()
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return opts, nil, fmt.Errorf("tls: %w", err)
		}
		opts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	closeTrace := func() {}
	if cfg.SMTPTrace != "" {
		f, err := os.OpenFile(cfg.SMTPTrace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return opts, nil, fmt.Errorf("smtp trace: %w", err)
		}
		opts.Trace = io.Writer(f)
		closeTrace = func() {
			if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				fmt.Fprintln(os.Stderr, "smtp trace:", err)
			}
		}
	}
	return opts, closeTrace, nil
}
