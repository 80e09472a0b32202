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
// `remove` take effect while serve runs.
type Manager struct {
	src  Source
	sink Sink
	opts Options
	log  *slog.Logger
}

// NewManager returns a Manager.
func NewManager(src Source, sink Sink, opts Options, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{src: src, sink: sink, opts: opts.withDefaults(), log: log}
}

// running is a started fetcher.
type running struct {
	mb   Mailbox
	stop context.CancelFunc
	done chan struct{}
}

// Run fetches until ctx ends, then waits for every fetcher to finish the
// message it has in hand. A Source that cannot be read is logged and read
// again at the next Rescan; the fetchers already running go on.
func (m *Manager) Run(ctx context.Context) error {
	active := map[int64]*running{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range active {
			r.stop()
		}
		wg.Wait()
	}()
	ticker := time.NewTicker(m.opts.Rescan)
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

// sync makes the running fetchers match the Source.
func (m *Manager) sync(ctx context.Context, active map[int64]*running, wg *sync.WaitGroup) {
	list, err := m.src.Mailboxes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("reading the mailboxes to fetch", "err", err)
		}
		return
	}
	want := map[int64]Mailbox{}
	for _, mb := range list {
		want[mb.ID] = mb
	}
	for id, r := range active {
		if mb, ok := want[id]; !ok || !sameMailbox(mb, r.mb) {
			r.stop()
			<-r.done
			delete(active, id)
			m.log.Info("stopped fetching", "mailbox", id, "url", r.mb.Target.String())
		}
	}
	for id, mb := range want {
		if active[id] != nil {
			continue
		}
		fctx, stop := context.WithCancel(ctx)
		r := &running{mb: mb, stop: stop, done: make(chan struct{})}
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

// sameMailbox compares what a fetcher was started with (not the password
// function, which reads the current password at each login).
func sameMailbox(a, b Mailbox) bool {
	return a.ID == b.ID && reflect.DeepEqual(a.Target, b.Target) && a.MoveTo == b.MoveTo
}
