package main

import (
	"context"
	"flag"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// The commands that take a ticket out of the way: delete (admins) and spam.

func ticketDelete(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket delete", true, 1, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Delete(t) })
}

func ticketUndelete(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket undelete", true, 1, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Undelete(t) })
}

func ticketSpam(ctx context.Context, e env) error {
	var undo *bool
	c, err := openDesk(ctx, e, "ticket spam", true, 1, func(fs *flag.FlagSet) {
		undo = fs.Bool("undo", false, "unmark the ticket and its requester's address")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
		if *undo {
			return o.UnmarkSpam(t)
		}
		return o.MarkSpam(t)
	})
}
