package desk

import (
	"context"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Held mail and suppressed addresses are the team's to judge, within these
// roles:
//
//   - Any member may discard held mail: triage of what was held is daily
//     work, and the bytes stay for the record.
//   - Only admins release it. Much held mail was held because it did not
//     prove itself: a mail claiming a member's From without her reply
//     token, or a mail through her reply token from another address.
//     Releasing it posts it as that member (with withCommands, applies its
//     commands as hers), so a release vouches that the mail is hers; an
//     agent could otherwise forge mail as a colleague and release it.
//   - Clearing a suppression overrides a permanent failure or an abuse
//     complaint (RFC 3464, RFC 5965) and risks the property's sending
//     reputation: admins only.

// ReleaseFunc runs held mail through the inbound pipeline again (package
// ingest, which the desk cannot import), recording by as who released it;
// it returns the number of the ticket the mail reached, or 0.
type ReleaseFunc func(ctx context.Context, h ticket.HeldMail, by string, withCommands bool) (int64, error)

// HeldReleaser gives the ReleaseFunc of a property's held mail: the one
// way the API, the web inbox and the CLI release it. *ingest.Pipeline is
// one.
type HeldReleaser interface {
	ReleaseFunc(prop ticket.Property) ReleaseFunc
}

// ReleaseHeld releases prop's held mail id as admin a, by running it
// through release. Mail already released or
// discarded is refused.
func (d *Desk) ReleaseHeld(ctx context.Context, prop ticket.Property, a Actor, id int64, withCommands bool, release ReleaseFunc) (int64, error) {
	h, err := d.waitingHeld(ctx, prop, a, id, "release held mail")
	if err != nil {
		return 0, err
	}
	if err := a.admin("release held mail (it may post as a member)"); err != nil {
		return 0, err
	}
	n, err := release(ctx, h, a.String(), withCommands)
	if err == nil {
		d.log.Info("held mail released", "property", prop.Slug, "held", id, "ticket", n, "with_commands", withCommands, "by", a.String())
	}
	return n, err
}

// DiscardHeld marks prop's held mail id discarded by a member; its bytes
// stay for the record.
func (d *Desk) DiscardHeld(ctx context.Context, prop ticket.Property, a Actor, id int64) error {
	if _, err := d.waitingHeld(ctx, prop, a, id, "discard held mail"); err != nil {
		return err
	}
	if err := d.st.DiscardHeld(ctx, prop.ID, id, a.String()); err != nil {
		return err
	}
	d.log.Info("held mail discarded", "property", prop.Slug, "held", id, "by", a.String())
	return nil
}

// waitingHeld checks that a is a member of prop's team and returns its held
// mail id, still waiting for a judgement.
func (d *Desk) waitingHeld(ctx context.Context, prop ticket.Property, a Actor, id int64, what string) (ticket.HeldMail, error) {
	if err := a.check(prop); err != nil {
		return ticket.HeldMail{}, err
	}
	if !a.IsMember() && a.Kind != ActorSystem {
		return ticket.HeldMail{}, forbidden("%s: only members of the team may %s", a, what)
	}
	h, err := d.st.HeldByID(ctx, prop.ID, id)
	if err != nil {
		return h, err
	}
	if h.Status != ticket.HeldWaiting {
		return h, invalid("held mail %d was %s by %s", id, h.Status, h.ResolvedBy)
	}
	return h, nil
}

// ClearSuppression lets mail go to addr again, as an admin; the ticket
// whose bounce suppressed it logs that.
func (d *Desk) ClearSuppression(ctx context.Context, prop ticket.Property, a Actor, addr string) error {
	if err := a.check(prop); err != nil {
		return err
	}
	if err := a.admin("clear a suppression"); err != nil {
		return err
	}
	err := d.st.ClearSuppression(ctx, prop.ID, addr, a.String())
	if errors.Is(err, store.ErrNotSuppressed) {
		return fmt.Errorf("%s is not suppressed in %s: %w", addr, prop.Slug, ErrNotFound)
	}
	if err == nil {
		d.log.Info("suppression cleared", "property", prop.Slug, "address", addr, "by", a.String())
	}
	return err
}
