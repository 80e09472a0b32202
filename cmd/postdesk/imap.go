package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/postdesk/postdesk/imapfetch"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
)

// imapStore is the store and the pipeline as imapfetch sees them: the
// mailboxes to fetch (imapfetch.Source) and where their mail goes
// (imapfetch.Sink), each message committed with its fetch position.
type imapStore struct {
	st       *store.Store
	gateway  string // this gateway's own name, holder of its mailbox leases
	pipeline *ingest.Pipeline
	getenv   func(string) string
	log      *slog.Logger

	mu    sync.Mutex
	props map[int64]int64 // mailbox id → property id, as last listed
}

func newIMAPStore(st *store.Store, gateway string, pipeline *ingest.Pipeline, getenv func(string) string, log *slog.Logger) *imapStore {
	return &imapStore{st: st, gateway: gateway, pipeline: pipeline, getenv: getenv, log: log, props: map[int64]int64{}}
}

// Lease takes or renews this gateway's lease on fetching a mailbox
// (imapfetch.Leaser): gateways sharing the database fetch each mailbox
// once. The lease runs on real time, which every gateway's clock shares.
func (s *imapStore) Lease(ctx context.Context, mailboxID int64, d time.Duration) (bool, error) {
	return s.st.LeaseMailbox(ctx, mailboxID, s.gateway, time.Now(), d)
}

// Release gives up this gateway's lease on a mailbox.
func (s *imapStore) Release(ctx context.Context, mailboxID int64) error {
	return s.st.ReleaseMailbox(ctx, mailboxID, s.gateway)
}

// Mailboxes lists every property's mailboxes. A stored URL that no longer
// parses is logged and left out.
func (s *imapStore) Mailboxes(ctx context.Context) ([]imapfetch.Mailbox, error) {
	list, err := s.st.Mailboxes(ctx, 0)
	if err != nil {
		return nil, err
	}
	props := map[int64]int64{}
	var out []imapfetch.Mailbox
	for _, m := range list {
		t, err := imapfetch.ParseURL(m.URL)
		if err != nil {
			s.log.Error("mailbox not fetched", "mailbox", m.ID, "err", err)
			continue
		}
		props[m.ID] = m.PropertyID
		out = append(out, imapfetch.Mailbox{ID: m.ID, Target: t, MoveTo: m.MoveTo, Password: s.password(m)})
	}
	s.mu.Lock()
	s.props = props
	s.mu.Unlock()
	return out, nil
}

// password reads a mailbox's password where its row says, at each login.
func (s *imapStore) password(m store.Mailbox) func() (string, error) {
	file, name := m.PasswordFile, m.PasswordEnv
	return func() (string, error) {
		if file != "" {
			return readPasswordFile(file)
		}
		if pw := s.getenv(name); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("the environment variable %s is not set", name)
	}
}

// Deliver runs one fetched message through the pipeline, addressed to the
// mailbox's property, and commits its position with it. A position the
// store is already past means the message is stored (another fetcher got
// there first): that is success.
func (s *imapStore) Deliver(ctx context.Context, mailboxID int64, envFrom string, raw []byte, p imapfetch.Progress) error {
	s.mu.Lock()
	propID, ok := s.props[mailboxID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("mailbox %d: %w", mailboxID, store.ErrNotFound)
	}
	prop, err := s.st.CachedPropertyByID(ctx, propID)
	if err != nil {
		return err
	}
	if len(prop.Addresses) == 0 {
		return fmt.Errorf("property %s has no address", prop.Slug)
	}
	pos := &store.MailboxProgress{MailboxID: mailboxID, UIDValidity: p.UIDValidity, UID: p.UID}
	err = s.pipeline.DeliverWith(ctx, envFrom, prop.Addresses[:1], inMemory(raw), int64(len(raw)), ingest.DeliverOptions{Mailbox: pos})
	if errors.Is(err, store.ErrStaleProgress) {
		s.log.Warn("message already stored", "mailbox", mailboxID, "uid", p.UID)
		return nil
	}
	return err
}

// Skip moves the position past a message that can never be stored.
func (s *imapStore) Skip(ctx context.Context, mailboxID int64, p imapfetch.Progress, reason string) error {
	err := s.st.SkipMailboxMessage(ctx, store.MailboxProgress{MailboxID: mailboxID, UIDValidity: p.UIDValidity, UID: p.UID})
	if errors.Is(err, store.ErrStaleProgress) {
		return nil
	}
	return err
}

// Progress returns the stored position.
func (s *imapStore) Progress(ctx context.Context, mailboxID int64) (imapfetch.Progress, error) {
	m, err := s.st.MailboxByID(ctx, 0, mailboxID)
	if err != nil {
		return imapfetch.Progress{}, err
	}
	return imapfetch.Progress{UIDValidity: m.UIDValidity, UID: m.LastUID}, nil
}

// Report records a mailbox's last error for `mailbox status`.
func (s *imapStore) Report(ctx context.Context, mailboxID int64, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if err := s.st.SetMailboxError(context.WithoutCancel(ctx), mailboxID, msg); err != nil {
		s.log.Error("recording the mailbox's state", "mailbox", mailboxID, "err", err)
	}
}

// inMemory is a fetched message as the pipeline reads it, used in place.
type inMemory []byte

func (m inMemory) ReadAt(b []byte, off int64) (int, error) { return bytes.NewReader(m).ReadAt(b, off) }

func (m inMemory) Bytes() []byte { return m }
