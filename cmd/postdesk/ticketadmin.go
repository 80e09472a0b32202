package main

import (
	"context"
	"flag"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// The commands that take a ticket out of the way: delete (admins) and spam.

func ticketDelete(ctx context.Context, e env) error {
	const syn = "ticket delete N --as ADMIN"
	c, err := openDesk(ctx, e, "ticket delete", syn, true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Delete(t) })
}

func ticketUndelete(ctx context.Context, e env) error {
	const syn = "ticket undelete N --as ADMIN"
	c, err := openDesk(ctx, e, "ticket undelete", syn, true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Undelete(t) })
}

func ticketSpam(ctx context.Context, e env) error {
	const syn = "ticket spam N [--undo] --as EMAIL"
	var undo *bool
	c, err := openDesk(ctx, e, "ticket spam", syn, true, func(fs *flag.FlagSet) {
		undo = fs.Bool("undo", false, "unmark the ticket and its requester's address")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
		if *undo {
			return o.UnmarkSpam(t)
		}
		return o.MarkSpam(t)
	})
}
