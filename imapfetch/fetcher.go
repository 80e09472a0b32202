package imapfetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Fetcher fetches one mailbox until its context ends.
type Fetcher struct {
	mb   Mailbox
	sink Sink
	opts Options
	log  *slog.Logger
}

// NewFetcher returns a Fetcher of mb that hands its mail to sink.
func NewFetcher(mb Mailbox, sink Sink, opts Options, log *slog.Logger) *Fetcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fetcher{mb: mb, sink: sink, opts: opts.withDefaults(),
		log: log.With("mailbox", mb.ID, "url", mb.Target.String())}
}

// Run fetches the mailbox, reconnecting after a failure with a backoff that
// doubles from MinBackoff to MaxBackoff (and starts again once a session
// got as far as opening the folder), until ctx ends; it returns nil then.
// A message being stored when ctx ends is stored with its position first.
func (f *Fetcher) Run(ctx context.Context) error {
	backoff := f.opts.MinBackoff
	for {
		opened, err := f.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if opened {
			backoff = f.opts.MinBackoff
		}
		f.log.Warn("imap session failed; reconnecting", "err", err, "after", backoff)
		f.sink.Report(ctx, f.mb.ID, err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(backoff*2, f.opts.MaxBackoff)
	}
}

// session is one connection: log in, open the folder, fetch what is new,
// then wait for more (IDLE, RFC 2177, where offered; polling otherwise)
// and fetch again, until ctx ends or the connection fails. opened tells
// whether the folder was opened.
func (f *Fetcher) session(ctx context.Context) (opened bool, err error) {
	news := make(chan struct{}, 1)
	c, err := f.dial(news)
	if err != nil {
		return false, err
	}
	defer c.Close()
	// A cancelled context cuts a command waiting on the server; a message
	// already fetched is still stored (deliver does not take ctx's cancel).
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if err := f.login(c); err != nil {
		return false, err
	}
	sel, err := c.Select(f.mb.Target.Folder, &imap.SelectOptions{ReadOnly: f.mb.MoveTo == ""}).Wait()
	if err != nil {
		return false, fmt.Errorf("open folder %q: %w", f.mb.Target.Folder, err)
	}
	f.sink.Report(ctx, f.mb.ID, nil)
	pos, err := f.start(ctx, c, sel.UIDValidity)
	if err != nil {
		return true, err
	}
	for ctx.Err() == nil {
		if pos, err = f.fetchNew(ctx, c, news, pos); err != nil {
			return true, err
		}
		if err := f.wait(ctx, c, news); err != nil {
			return true, err
		}
	}
	if err := c.Logout().Wait(); err != nil {
		f.log.Debug("logout", "err", err)
	}
	return true, nil
}

// dial connects as the URL says; news receives a token whenever the server
// reports the number of messages (RFC 9051 §7.4.1 EXISTS).
func (f *Fetcher) dial(news chan struct{}) (*imapclient.Client, error) {
	t := f.mb.Target
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: t.Host, MinVersion: tls.VersionTLS12},
		Dialer:    &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		}},
	}
	var c *imapclient.Client
	var err error
	switch t.TLS {
	case TLSImplicit:
		c, err = imapclient.DialTLS(t.Addr, opts)
	case TLSStartTLS:
		c, err = imapclient.DialStartTLS(t.Addr, opts)
	default:
		c, err = imapclient.DialInsecure(t.Addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", t.Addr, err)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting of %s: %w", t.Addr, err)
	}
	return c, nil
}

func (f *Fetcher) login(c *imapclient.Client) error {
	pw, err := f.mb.Password()
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	if err := c.Login(f.mb.Target.User, pw).Wait(); err != nil {
		return fmt.Errorf("login as %s: %w", f.mb.Target.User, err)
	}
	return nil
}

// start returns the position to fetch from: the stored one, or the start
// of the folder when its UIDVALIDITY changed. With MoveTo, what was stored
// but not yet moved (a crash between the commit and the MOVE) is moved.
func (f *Fetcher) start(ctx context.Context, c *imapclient.Client, uidValidity uint32) (Progress, error) {
	pos, err := f.sink.Progress(ctx, f.mb.ID)
	if err != nil {
		return pos, fmt.Errorf("stored position: %w", err)
	}
	if pos.UIDValidity != uidValidity {
		if pos.UIDValidity != 0 {
			f.log.Warn("UIDVALIDITY changed: fetching the folder again; messages already stored are recognised",
				"was", pos.UIDValidity, "now", uidValidity, "last_uid", pos.UID)
		}
		return Progress{UIDValidity: uidValidity}, nil
	}
	return pos, f.moveStored(c, pos)
}

// sized is a message's UID and size.
type sized struct {
	uid  imap.UID
	size int64
}

// fetchNew stores every message above pos, in UID order, and returns the
// new position.
func (f *Fetcher) fetchNew(ctx context.Context, c *imapclient.Client, news chan struct{}, pos Progress) (Progress, error) {
	select { // what the server reports from now on is seen by the next wait
	case <-news:
	default:
	}
	list, err := f.newMessages(c, pos.UID)
	if err != nil {
		return pos, err
	}
	for len(list) > 0 && ctx.Err() == nil {
		if list[0].size > f.opts.MaxMessageBytes {
			if pos, err = f.skip(ctx, pos, list[0].uid, fmt.Sprintf("larger than %d bytes", f.opts.MaxMessageBytes)); err != nil {
				return pos, err
			}
			list = list[1:]
			continue
		}
		n := f.batchLen(list)
		if pos, err = f.fetchBatch(ctx, c, pos, list[:n]); err != nil {
			return pos, err
		}
		list = list[n:]
	}
	return pos, nil
}

// newMessages lists the UIDs above last, ascending, with their sizes.
// "last+1:*" always names the highest message, even below last (RFC 9051
// §6.4.9), so the list is filtered.
func (f *Fetcher) newMessages(c *imapclient.Client, last uint32) ([]sized, error) {
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0)
	msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("list new messages: %w", err)
	}
	var list []sized
	for _, m := range msgs {
		if uint32(m.UID) > last {
			list = append(list, sized{m.UID, m.RFC822Size})
		}
	}
	slices.SortFunc(list, func(a, b sized) int { return int(int64(a.uid) - int64(b.uid)) })
	return list, nil
}

// batchLen is how many messages from the start of list one FETCH takes:
// at most BatchMessages and, past the first, BatchBytes; it stops before a
// message too large to fetch.
func (f *Fetcher) batchLen(list []sized) int {
	n, bytes := 0, int64(0)
	for n < len(list) && n < f.opts.BatchMessages && list[n].size <= f.opts.MaxMessageBytes {
		if n > 0 && bytes+list[n].size > f.opts.BatchBytes {
			break
		}
		bytes += list[n].size
		n++
	}
	return n
}

var wholeMessage = &imap.FetchItemBodySection{Peek: true}

// fetchBatch fetches the bodies of batch and stores them one by one in UID
// order, each with its position; with MoveTo, the stored messages are moved
// after their commits.
func (f *Fetcher) fetchBatch(ctx context.Context, c *imapclient.Client, pos Progress, batch []sized) (Progress, error) {
	var set imap.UIDSet
	for _, m := range batch {
		set.AddNum(m.uid)
	}
	msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{wholeMessage}}).Collect()
	if err != nil {
		return pos, fmt.Errorf("fetch messages: %w", err)
	}
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(int64(a.UID) - int64(b.UID)) })
	for _, m := range msgs {
		raw := m.FindBodySection(wholeMessage)
		if uint32(m.UID) <= pos.UID || raw == nil {
			continue // expunged meanwhile, or an unsolicited update
		}
		if ctx.Err() != nil {
			break
		}
		if pos, err = f.deliver(ctx, pos, m.UID, raw); err != nil {
			return pos, err
		}
	}
	return pos, f.moveStored(c, pos)
}

// deliver stores one message with its position. A message that can never
// be stored is skipped, with the reason in the log.
func (f *Fetcher) deliver(ctx context.Context, pos Progress, uid imap.UID, raw []byte) (Progress, error) {
	next := Progress{UIDValidity: pos.UIDValidity, UID: uint32(uid)}
	err := f.sink.Deliver(context.WithoutCancel(ctx), f.mb.ID, EnvelopeSender(raw), raw, next)
	switch {
	case err == nil:
		return next, nil
	case permanent(err):
		return f.skip(ctx, pos, uid, err.Error())
	default:
		return pos, fmt.Errorf("store UID %d: %w", uid, err)
	}
}

func (f *Fetcher) skip(ctx context.Context, pos Progress, uid imap.UID, reason string) (Progress, error) {
	next := Progress{UIDValidity: pos.UIDValidity, UID: uint32(uid)}
	f.log.Warn("message skipped: it can never be stored", "uid", uid, "reason", reason)
	if err := f.sink.Skip(context.WithoutCancel(ctx), f.mb.ID, next, reason); err != nil {
		return pos, fmt.Errorf("skip UID %d: %w", uid, err)
	}
	return next, nil
}

// moveStored moves every message up to pos to MoveTo (RFC 6851; go-imap
// falls back to COPY, STORE \Deleted and EXPUNGE where MOVE is missing).
// UIDs already gone are no error (RFC 9051 §6.4.9).
func (f *Fetcher) moveStored(c *imapclient.Client, pos Progress) error {
	if f.mb.MoveTo == "" || pos.UID == 0 {
		return nil
	}
	var set imap.UIDSet
	set.AddRange(1, imap.UID(pos.UID))
	if _, err := c.Move(set, f.mb.MoveTo).Wait(); err != nil {
		return fmt.Errorf("move to %q: %w", f.mb.MoveTo, err)
	}
	return nil
}

// wait returns when the server may have new mail: with IDLE (RFC 2177, part
// of IMAP4rev2), when it reports messages or after IdleRecheck; without,
// after Poll. It returns early when ctx ends.
func (f *Fetcher) wait(ctx context.Context, c *imapclient.Client, news chan struct{}) error {
	caps := c.Caps()
	if !caps.Has(imap.CapIdle) && !caps.Has(imap.CapIMAP4rev2) {
		select {
		case <-time.After(f.opts.Poll):
		case <-ctx.Done():
		}
		return nil
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	timer := time.NewTimer(f.opts.IdleRecheck)
	defer timer.Stop()
	select {
	case <-news:
	case <-timer.C:
	case <-ctx.Done():
	case <-c.Closed():
		return errors.New("connection closed during IDLE")
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("end idle: %w", err)
	}
	if err := idle.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("end idle: %w", err)
	}
	return nil
}
