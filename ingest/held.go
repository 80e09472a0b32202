package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// release marks a delivery as the release of held mail: the rule that held
// it (its reason) lets it pass this time.
type release struct {
	held         ticket.HeldMail
	by           string
	withCommands bool // a member's mail may apply its command lines
}

// released reports whether this delivery releases mail held for reason.
func (e envelope) released(reason string) bool {
	return e.release != nil && e.release.held.Reason == reason
}

// hold keeps a mail that is accepted but not posted, and tells the
// property's admins (folded into a digest by the outbox), unless the mail
// is quiet (see quiet): then the queue drops the notice and nobody is told.
func (p *Pipeline) hold(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte, reason string) (delivered, error) {
	res, err := p.holdQuietly(tx, prop, env, msg, raw, reason)
	if err != nil {
		return res, err
	}
	if env.quiet != "" {
		p.log.Info("held without a notice", "property", prop.Slug, "held", res.heldID, "reason", reason, "quiet", env.quiet)
	}
	sender := env.from
	if msg.From != nil {
		sender = msg.From.Address
	}
	body := fmt.Sprintf("A mail was accepted but not posted.\n\nFrom: %s\nSubject: %s\nReason: %s\n%s\n"+
		"postdesk held show %d      read it\npostdesk held release %d   run it through postdesk as if it had just arrived\n"+
		"postdesk held discard %d   keep it out for good", sender, msg.Subject, reason, memberCommands(reason, msg),
		res.heldID, res.heldID, res.heldID)
	return res, p.queue(tx, prop, env).TellAdmins("Held mail: "+reason, body)
}

// commandsCarried lists the command lines a held mail carries, for the
// notices that tell of it, with a blank line before; "" when it carries
// none. Whoever decides on a mail in a member's name sees what releasing
// it would do.
func commandsCarried(text string) string {
	lines := CommandLines(text)
	if len(lines) == 0 {
		return ""
	}
	return "\nIt carries these command lines, which a release applies only with --with-commands:\n  " +
		strings.Join(lines, "\n  ") + "\n"
}

// memberCommands is commandsCarried for mail held for speaking for a
// member without proof (the only held mail whose commands a release can
// apply), "" for any other.
func memberCommands(reason string, msg *parsed) string {
	if reason != reasonNoToken && reason != reasonOtherAddress {
		return ""
	}
	return commandsCarried(msg.Text)
}

// CommandLines returns the command lines at the top of a mail's text (see
// splitCommands), as written.
func CommandLines(text string) []string {
	cmds, _ := splitCommands(text)
	lines := make([]string, len(cmds))
	for i, c := range cmds {
		lines[i] = c.line
	}
	return lines
}

// HeldCommands returns the command lines the text of a held mail's raw
// bytes carries, read as the pipeline reads it.
func HeldCommands(raw []byte) ([]string, error) {
	msg, err := newParser().parse(raw)
	if err != nil {
		return nil, fmt.Errorf("read held mail: %w", err)
	}
	return CommandLines(msg.Text), nil
}

// holdQuietly keeps a mail that is accepted but not posted, telling nobody.
func (p *Pipeline) holdQuietly(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte, reason string) (delivered, error) {
	sender := env.from
	if msg.From != nil {
		sender = msg.From.Address
	}
	if err := tx.PutBlob(msg.RawSHA256, raw); err != nil {
		return delivered{}, err
	}
	h := &ticket.HeldMail{PropertyID: prop.ID, Reason: reason, Sender: sender, Subject: msg.Subject,
		RawSHA256: msg.RawSHA256, EnvFrom: env.from, EnvTo: env.to}
	if err := tx.HoldMail(h); err != nil {
		return delivered{}, err
	}
	return delivered{property: prop.Slug, thread: "held: " + reason, heldID: h.ID, heldReason: reason}, nil
}

// isNotice reports whether the mail is a notice of this property, by its
// signed Message-ID.
func (p *Pipeline) isNotice(prop ticket.Property, msg *parsed) bool {
	tok, ok := p.keys.TokenInMessageID(msg.MessageID)
	return ok && tok.Kind == threading.KindNotice && tok.PropertyID == prop.ID
}

// quiet returns why no notice may answer the mail, or "" when one may. It
// is the one rule for every notice a delivery causes (held mail, mail held
// in a member's name, a failed command); the delivery's queue applies it
// (outbox.Queue.Quiet). A notice never answers:
//   - automatic mail (RFC 3834 §2: an auto-responder answering the notice
//     to its envelope sender, §4, would get a new notice every window);
//   - a notice of ours come back (its signed Message-ID);
//   - mail to a notice's bounce address that is no verified bounce
//     (verified bounces are handled before, by recordBounce);
//   - a reply to a notice (its notice token in an address or In-Reply-To).
func (p *Pipeline) quiet(prop ticket.Property, env envelope, msg *parsed) string {
	switch {
	case msg.Automatic:
		return "automatic mail (" + msg.AutoReason + ")"
	case p.isNotice(prop, msg):
		return "our notice came back"
	case env.bounced != nil && env.bounced.Kind == ticket.OutNotice:
		return "mail to the bounce address of a notice"
	}
	if _, ok := p.noticeToken(prop, threadInput(prop, env, msg)); ok {
		return "a reply to a notice"
	}
	return ""
}

// ErrHeldAgain is returned by Release when the mail would be held again:
// the rule that held it lets it pass, but another one holds it.
var ErrHeldAgain = errors.New("the mail would be held again")

// ReleaseOptions says who releases held mail and how.
type ReleaseOptions struct {
	By string // recorded as having released it
	// WithCommands lets a member's mail apply the command lines it
	// carries (#cc, #close, ...). Without it, a released member's mail
	// that carries any is kept as an internal note and changes nothing:
	// mail held for not authenticating may be forged, and its commands
	// were never the member's to vouch for.
	WithCommands bool
}

// ReleaseFunc is the desk's ReleaseFunc of prop's held mail (it makes p a
// desk.HeldReleaser): Release runs it again.
func (p *Pipeline) ReleaseFunc(prop ticket.Property) desk.ReleaseFunc {
	return func(ctx context.Context, h ticket.HeldMail, by string, withCommands bool) (int64, error) {
		return p.Release(ctx, prop, h, ReleaseOptions{By: by, WithCommands: withCommands})
	}
}

// Release runs held mail through the pipeline as if it had just arrived,
// with the envelope it came with, in its property only. The rule that held
// it lets it pass this time; the mail is marked released by opts.By, and
// the ticket it reaches records who released it. Everything commits
// together, or nothing does.
func (p *Pipeline) Release(ctx context.Context, prop ticket.Property, h ticket.HeldMail, opts ReleaseOptions) (ticketNumber int64, err error) {
	by := opts.By
	raw, err := p.store.Blob(ctx, h.RawSHA256)
	if err != nil {
		return 0, fmt.Errorf("release held mail %d: %w", h.ID, err)
	}
	from, to := h.EnvFrom, h.EnvTo
	if len(to) == 0 && len(prop.Addresses) > 0 {
		from, to = h.Sender, prop.Addresses[:1] // held before envelopes were kept
	}
	msg, err := p.parser.parse(raw)
	if err != nil {
		return 0, fmt.Errorf("release held mail %d: %w", h.ID, err)
	}
	p.classify(msg, from)
	fws, err := p.forwardings(ctx, []ticket.Property{prop}, from, msg)
	if err != nil {
		return 0, err
	}
	authors, err := p.memberAuthors(ctx, []ticket.Property{prop}, msg, fws)
	if err != nil {
		return 0, err
	}
	enqueued := 0
	err = p.store.Update(ctx, func(tx *store.Tx) error {
		enqueued, ticketNumber = 0, 0
		env := envelope{from: from, to: to, enqueued: &enqueued, member: authors[prop.ID], fw: fws[prop.ID], release: &release{held: h, by: by, withCommands: opts.WithCommands}}
		res, err := p.deliverTo(tx, prop, env, msg, raw)
		if err != nil {
			return err
		}
		if res.heldID != 0 {
			return fmt.Errorf("%w (%s)", ErrHeldAgain, res.thread)
		}
		if err := tx.ResolveHeld(prop.ID, h.ID, ticket.HeldReleased, by); err != nil {
			return err
		}
		ticketNumber = res.ticket
		return p.recordRelease(tx, prop, h, by, res.ticket)
	})
	if err != nil {
		return 0, fmt.Errorf("release held mail %d: %w", h.ID, err)
	}
	p.log.Info("released", "property", prop.Slug, "held", h.ID, "by", by, "ticket", ticketNumber)
	if enqueued > 0 && p.onEnqueue != nil {
		p.onEnqueue()
	}
	return ticketNumber, nil
}

// recordRelease logs the release on the ticket the mail reached.
func (p *Pipeline) recordRelease(tx *store.Tx, prop ticket.Property, h ticket.HeldMail, by string, number int64) error {
	if number == 0 {
		return nil
	}
	t, ok, err := tx.TicketByNumber(prop.ID, number)
	if err != nil || !ok {
		return err
	}
	return tx.AddEvent(t.ID, "released", by, fmt.Sprintf("held mail %d released (it was held: %s)", h.ID, h.Reason))
}
