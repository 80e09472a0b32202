package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
	"github.com/postdesk/postdesk/imapfetch"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/metrics"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/outbox"
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
	// Collect seldom while the heap is small, and hard near the limit: the
	// small-message path allocates much and keeps little (BENCHMARKS.md).
	debug.SetGCPercent(cfg.GCPercent)
	debug.SetMemoryLimit(cfg.MemoryLimit)
	// The metrics read the store's gauges when scraped, and the store tells
	// them of its commits: the closure reads st once it is open.
	var st *store.Store
	m := metrics.New(metrics.Options{Now: e.now, Logger: log.With("component", "metrics"),
		Gauges: func(ctx context.Context, now time.Time) (store.Gauges, error) { return st.ReadGauges(ctx, now) }})
	stOpts := storeOptions(cfg, log, e.now)
	stOpts.OnBatch = m.Commit
	st, err = store.Open(ctx, stOpts)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "dialect", st.Dialect(), "database", st.Where())

	keys, err := threadKeys(ctx, cfg, st)
	if err != nil {
		return err
	}
	deployment, err := deploymentID(ctx, st)
	if err != nil {
		return err
	}
	gateway, err := gatewayName(cfg)
	if err != nil {
		return err
	}
	log.Info("gateway", "name", gateway, "deployment", deployment)
	transport, err := outboundTransport(cfg)
	if err != nil {
		return err
	}
	var signer *notify.DKIM
	if cfg.DKIMKey != "" {
		if signer, err = notify.LoadDKIM(cfg.DKIMKey, cfg.DKIMSelector); err != nil {
			return err
		}
	}
	worker := notify.New(notify.Options{Store: st, Keys: keys, Transport: transport, InstanceID: deployment, Gateway: gateway, DKIM: signer,
		Workers: cfg.OutboundWorkers, Now: e.now, Logger: log.With("component", "notify"),
		OnDelivery: func(d notify.Delivery) { m.Delivery(d.Kind, d.Outcome, d.Latency, d.Took) }})
	if e.getenv(fakeClockEnv) != "" {
		log.Warn("running on a fake clock, for tests", "env", fakeClockEnv, "now", e.now())
	}
	digester := outbox.NewDigester(outbox.DigestOptions{Store: st, Keys: keys, Window: cfg.NoticeWindow, Now: e.now,
		OnQueued: worker.Kick, Logger: log.With("component", "digest")})
	kick := func() { worker.Kick(); digester.Kick() } // send what was queued
	pipeOpts := pipelineOptions(cfg, st, keys, deployment, log)
	pipeOpts.OnEnqueue, pipeOpts.Observer = kick, m // OnEnqueue wakes the workers that send what a delivery queued
	pipeline := ingest.New(pipeOpts)
	smtpOpts, closeTrace, err := smtpOptions(cfg)
	if err != nil {
		return err
	}
	defer closeTrace()
	smtpOpts.Logger = log.With("component", "smtpd")
	smtpOpts.Observer = m
	smtpOpts.SpoolDir = filepath.Join(cfg.DataDir, "spool")
	ln, err := net.Listen("tcp", cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("smtp listen: %w", err)
	}
	// Every component runs under one context: SIGTERM or SIGINT cancels it
	// and each finishes what it has in hand; a component that fails
	// cancels it for the others, and its error is the process's.
	run := newComponents(ctx, log)
	if cfg.PprofAddr != "" {
		pprofRun, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		run.Go("pprof", pprofRun)
	}
	run.Go("outbound", worker.Run)
	run.Go("digest", digester.Run)
	hooks := hook.New(hook.Options{Store: st, Now: e.now, DisableAfter: cfg.WebhookDisableAfter,
		Retention: cfg.WebhookRetention, OnQueued: digester.Kick, OnResult: m.WebhookResult, Logger: log.With("component", "webhooks")})
	run.Go("webhooks", hooks.Run)
	dk := desk.New(desk.Options{Store: st, Keys: keys, Now: e.now, OnQueued: kick, Logger: log.With("component", "desk")})
	run.Go("scheduler", dk.Scheduler(desk.SchedulerOptions{Interval: cfg.SchedulerEvery, OnLag: m.SchedulerLag}).Run)
	if cfg.HTTPAddr != "" {
		httpRun, webRun, err := serveWeb(cfg, st, dk, pipeline, hooks, m, e, log)
		if err != nil {
			ln.Close()
			return err
		}
		run.Go("http", httpRun)
		run.Go("web", webRun)
	}
	run.Go("smtp", func(ctx context.Context) error { return smtpd.New(smtpOpts, pipeline).Serve(ctx, ln) })
	imapStore := newIMAPStore(st, gateway, pipeline, e.getenv, log.With("component", "imap"))
	run.Go("imap", imapfetch.NewManager(imapStore, imapStore, imapfetch.Options{MaxMessageBytes: cfg.MaxMessageBytes},
		log.With("component", "imap")).Run)
	err = run.Wait()
	if err != nil {
		log.Error("postdesk stopped", "err", err)
		return err
	}
	log.Info("postdesk stopped")
	return nil
}

// pipelineOptions are the inbound pipeline's options from the
// configuration, for serve and for the commands that run held mail through
// it; serve adds what wakes its workers and its metrics.
func pipelineOptions(cfg config.Config, st *store.Store, keys *threading.Keys, deployment string, log *slog.Logger) ingest.Options {
	return ingest.Options{Store: st, Keys: keys, InstanceID: deployment, Gateway: cfg.InstanceID,
		Limits: ingest.Limits{AcksPerHour: cfg.AcksPerHour, AckCeiling: cfg.AckCeiling, NewTicketsPerHour: cfg.NewTicketsHour,
			ParticipantsPerMail: cfg.ParticipantsMax, RecipientsPerAnswer: cfg.AnswerRcptsMax},
		Logger: log.With("component", "ingest")}
}

// commandPipeline builds the inbound pipeline for a command that delivers
// beside serve (deliver, import, held release). serve's outbound worker and
// digester poll the outbox, so what such a delivery queues is sent by them;
// nothing here needs waking.
func commandPipeline(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) (*ingest.Pipeline, error) {
	keys, err := threadKeys(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	deployment, err := deploymentID(ctx, st)
	if err != nil {
		return nil, err
	}
	return ingest.New(pipelineOptions(cfg, st, keys, deployment, log)), nil
}

// outboundTransport is the configured relay, or the local Maildir.
func outboundTransport(cfg config.Config) (notify.Transport, error) {
	if cfg.Relay == "" {
		return notify.NewMaildir(cfg.MaildirPath())
	}
	helo, err := domainOrHost(cfg.SMTPDomain)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return notify.ParseRelay(cfg.Relay, helo)
}

// domainOrHost returns the configured smtp-domain, or else the host name.
func domainOrHost(domain string) (string, error) {
	if domain != "" {
		return domain, nil
	}
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("no smtp-domain is set and the host name is unknown: %w", err)
	}
	return host, nil
}

// smtpOptions copies the SMTP settings out of the configuration.
func smtpOptions(cfg config.Config) (smtpd.Options, func(), error) {
	opts := smtpd.Options{
		Domain: cfg.SMTPDomain, MaxMessageBytes: cfg.MaxMessageBytes, MaxRecipients: cfg.MaxRecipients,
		MaxConnections: cfg.MaxConnections, MaxConnectionsPerIP: cfg.MaxConnsPerIP, CommandTimeout: cfg.CommandTimeout, DataTimeout: cfg.DataTimeout,
	}
	var err error
	if opts.Domain, err = domainOrHost(opts.Domain); err != nil {
		return opts, nil, err
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
