package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/smtpd"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
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

	keys, err := threadKeys(ctx, cfg, st)
	if err != nil {
		return err
	}
	pipeline := ingest.New(ingest.Options{Store: st, Keys: keys, Logger: log.With("component", "ingest")})
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

// generatedKeyID is the id of the threading key generated on first start.
const generatedKeyID = 1

// threadKeys builds the threading keys: the configured ones, the first
// signing; without configuration, a key generated on first start and kept in
// the database. The generated key keeps verifying after keys are configured
// (unless one of them takes its id), so replies to mail sent before still
// thread.
func threadKeys(ctx context.Context, cfg config.Config, st *store.Store) (*threading.Keys, error) {
	generated, err := st.EnsureSetting(ctx, "thread-key-1", func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	})
	if err != nil {
		return nil, err
	}
	secrets := map[uint8][]byte{generatedKeyID: []byte(generated)}
	current := uint8(generatedKeyID)
	for i, k := range cfg.ThreadKeys {
		secrets[k.ID] = k.Secret
		if i == 0 {
			current = k.ID
		}
	}
	return threading.NewKeys(current, secrets)
}
