package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// DigestOptions configures a Digester. Zero values take the defaults in
// brackets.
type DigestOptions struct {
	Store *store.Store
	Keys  *threading.Keys
	// Window is the least time between two notices of one topic to one
	// member [1h]: the first goes out at once, the rest wait and leave
	// together as one digest when the window has passed.
	Window time.Duration
	// Poll is how often pending notices are looked at without a Kick [2s].
	Poll time.Duration
	// OnQueued, when set, is called after notices were queued in the
	// outbox (to wake the outbound worker).
	OnQueued func()
	Logger   *slog.Logger
	Now      func() time.Time
}

// Digester turns pending notices into outbox rows: at most one mail per
// member, topic and window. This bounds what any storm (bounces of 40
// acknowledgements, a forger, an auto-responder) makes postdesk send to its
// own people, in the spirit of RFC 3834 §2's "never more than one response
// in a period".
type Digester struct {
	opts DigestOptions
	kick chan struct{}
}

// NewDigester returns a Digester; Run starts it.
func NewDigester(o DigestOptions) *Digester {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Digester{opts: o, kick: make(chan struct{}, 1)}
}

// Kick tells the digester that notices are pending. It never blocks.
func (d *Digester) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run flushes pending notices on every Kick and every Poll until ctx is
// cancelled.
func (d *Digester) Run(ctx context.Context) error {
	d.opts.Logger.Info("notice digester started", "window", d.opts.Window)
	ticker := time.NewTicker(d.opts.Poll)
	defer ticker.Stop()
	for {
		if _, err := d.Flush(ctx); err != nil && ctx.Err() == nil {
			d.opts.Logger.Error("flushing notices", "err", err)
		}
		select {
		case <-d.kick:
		case <-ticker.C:
		case <-ctx.Done():
			d.opts.Logger.Info("notice digester stopped")
			return nil
		}
	}
}

// Flush queues, for every member and topic whose window has passed, its
// pending notices as one mail: the notice itself when it is alone, else a
// digest of all of them. It returns the number of mails queued.
func (d *Digester) Flush(ctx context.Context) (int, error) {
	now := d.opts.Now()
	groups, err := d.opts.Store.DueNoticeGroups(ctx, now.Add(-d.opts.Window))
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, g := range groups {
		prop, err := d.opts.Store.PropertyByID(ctx, g.PropertyID)
		if err != nil {
			return queued, err
		}
		sent := false
		err = d.opts.Store.Update(ctx, func(tx *store.Tx) error {
			var err error
			sent, err = d.flushGroup(tx, prop, g, now)
			return err
		})
		if err != nil {
			return queued, fmt.Errorf("flush notices to member %d (%s): %w", g.MemberID, g.Topic, err)
		}
		if sent {
			queued++
		}
	}
	if queued > 0 && d.opts.OnQueued != nil {
		d.opts.OnQueued()
	}
	return queued, nil
}

// flushGroup queues one group's pending notices, unless a notice of its
// topic went to the member within the window after all. The pending
// notices are taken first (PendingNotices locks them against another
// gateway's digester), and the last notice is read after: a digest
// another gateway queued meanwhile is seen, and none is queued twice.
func (d *Digester) flushGroup(tx *store.Tx, prop ticket.Property, g store.NoticeGroup, now time.Time) (bool, error) {
	pending, err := tx.PendingNotices(g)
	if err != nil || len(pending) == 0 {
		return false, err
	}
	last, err := tx.LastNotice(g)
	if err != nil || (!last.IsZero() && now.Before(last.Add(d.opts.Window))) {
		return false, err
	}
	row := fold(pending, g.Topic, d.opts.Window)
	row.Kind, row.RcptKind, row.RcptID, row.Topic = ticket.OutNotice, "member", g.MemberID, g.Topic
	q := Queue{Keys: d.opts.Keys, Tx: tx, Prop: prop}
	tok := threading.Token{Kind: threading.KindNotice, PropertyID: prop.ID, TicketID: row.TicketID, ID: g.MemberID}
	if err := q.enqueue(row, tok); err != nil {
		return false, err
	}
	return true, tx.DeletePendingNotices(g, pending[len(pending)-1].ID)
}

// maxListed bounds the notices a digest spells out.
const maxListed = 50

// fold makes one outbox row of a group's notices: the notice itself when
// alone, else a digest listing them, about their ticket when they share one.
func fold(pending []store.PendingNotice, topic string, window time.Duration) *store.OutboxRow {
	first := pending[0]
	row := &store.OutboxRow{TicketID: first.TicketID, Rcpt: first.Rcpt, Subject: first.Subject, Body: first.Body}
	if len(pending) == 1 {
		return row
	}
	row.Subject = fmt.Sprintf("%s: %d notices", nonEmpty(topic, "Notices"), len(pending))
	var b strings.Builder
	fmt.Fprintf(&b, "%d notices of this kind came up since the last one. postdesk sends you at most one mail "+
		"of a kind every %s and folds the rest into a digest like this one.\n", len(pending), window)
	for i, n := range pending {
		if n.TicketID != first.TicketID {
			row.TicketID = 0
		}
		if i >= maxListed {
			continue
		}
		fmt.Fprintf(&b, "\n== %s  %s\n\n%s\n", n.CreatedAt.Format(time.DateTime), n.Subject, strings.TrimSpace(n.Body))
	}
	if len(pending) > maxListed {
		fmt.Fprintf(&b, "\n… and %d more.\n", len(pending)-maxListed)
	}
	row.Body = b.String()
	return row
}

func nonEmpty(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}
