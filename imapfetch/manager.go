package imapfetch

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"time"
)

// Manager runs one Fetcher per mailbox of its Source: it reads the list at
// start and every Rescan, starts fetchers for added mailboxes and stops
// those of removed or changed ones, so that `postdesk mailbox add` and
// `remove` take effect while serve runs. When the Source is a Leaser, a
// mailbox is fetched only while this gateway holds its lease (several
// gateways share the mailboxes, each fetched by one of them at a time).
type Manager struct {
	src   Source
	lease Leaser // nil: every mailbox is this gateway's
	sink  Sink
	opts  Options
	log   *slog.Logger
}

// NewManager returns a Manager.
func NewManager(src Source, sink Sink, opts Options, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{src: src, sink: sink, opts: opts.withDefaults(), log: log}
	m.lease, _ = src.(Leaser)
	return m
}

// running is a started fetcher.
type running struct {
	mb        Mailbox
	stop      context.CancelFunc
	done      chan struct{}
	heldUntil time.Time // the lease's end, by this gateway's clock, as last renewed
}

// Run fetches until ctx ends, then waits for every fetcher to finish the
// message it has in hand, and releases their leases. A Source that cannot
// be read is logged and read again at the next Rescan; the fetchers
// already running go on (while their leases hold).
func (m *Manager) Run(ctx context.Context) error {
	active := map[int64]*running{}
	var wg sync.WaitGroup
	defer func() {
		for id, r := range active {
			m.stopFetcher(ctx, id, r)
		}
		wg.Wait()
	}()
	every := m.opts.Rescan
	if m.lease != nil {
		every = min(every, m.opts.Lease/3)
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		m.sync(ctx, active, &wg)
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// sync makes the running fetchers match the Source and the leases held.
func (m *Manager) sync(ctx context.Context, active map[int64]*running, wg *sync.WaitGroup) {
	list, err := m.src.Mailboxes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("reading the mailboxes to fetch", "err", err)
		}
		list = nil
		for _, r := range active { // go on with what runs, while its lease holds
			list = append(list, r.mb)
		}
	}
	want := map[int64]Mailbox{}
	for _, mb := range list {
		want[mb.ID] = mb
	}
	for id, r := range active {
		if mb, ok := want[id]; !ok || !sameMailbox(mb, r.mb) {
			m.stopFetcher(ctx, id, r)
			delete(active, id)
		}
	}
	for id, mb := range want {
		r := active[id]
		held, until := m.hold(ctx, id, r)
		switch {
		case !held && r != nil:
			m.stopFetcher(ctx, id, r)
			delete(active, id)
		case held && r != nil:
			r.heldUntil = until
		case held:
			fctx, stop := context.WithCancel(ctx)
			r = &running{mb: mb, stop: stop, done: make(chan struct{}), heldUntil: until}
			active[id] = r
			f := NewFetcher(mb, m.sink, m.opts, m.log)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(r.done)
				f.Run(fctx)
			}()
			m.log.Info("fetching", "mailbox", id, "url", mb.Target.String(), "move_to", mb.MoveTo)
		}
	}
}

// hold takes or renews the lease of mailbox id (r is its fetcher, or nil),
// and says whether this gateway may fetch it, and until when. A lease that
// could not be renewed still holds until three quarters of it are past:
// the fetcher stops before another gateway may take the mailbox over.
func (m *Manager) hold(ctx context.Context, id int64, r *running) (bool, time.Time) {
	if m.lease == nil {
		return true, time.Time{}
	}
	start := time.Now()
	held, err := m.lease.Lease(ctx, id, m.opts.Lease)
	switch {
	case err == nil && !held && r == nil:
		m.log.Debug("mailbox fetched by another gateway", "mailbox", id)
	case err == nil:
		return held, start.Add(m.opts.Lease)
	case ctx.Err() == nil:
		m.log.Error("leasing a mailbox", "mailbox", id, "err", err)
	}
	if r == nil || err == nil {
		return false, time.Time{}
	}
	return time.Now().Before(r.heldUntil.Add(-m.opts.Lease / 4)), r.heldUntil
}

// stopFetcher stops a mailbox's fetcher, waits for it, and releases its
// lease.
func (m *Manager) stopFetcher(ctx context.Context, id int64, r *running) {
	r.stop()
	<-r.done
	m.log.Info("stopped fetching", "mailbox", id, "url", r.mb.Target.String())
	if m.lease == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.lease.Release(rctx, id); err != nil {
		m.log.Warn("releasing a mailbox's lease: another gateway takes it over when it runs out", "mailbox", id, "err", err)
	}
}

// sameMailbox compares what a fetcher was started with (not the password
// function, which reads the current password at each login).
func sameMailbox(a, b Mailbox) bool {
	return a.ID == b.ID && reflect.DeepEqual(a.Target, b.Target) && a.MoveTo == b.MoveTo
}
