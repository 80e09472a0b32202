package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// The commands that change one ticket. Each is one desk operation, as the
// member --as names.

func ticketPriority(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket priority", true, 2, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	p, err := ticket.ParsePriority(c.pos[1])
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.SetPriority(t, p) })
}

func ticketTag(ctx context.Context, e env) error {
	var remove *bool
	c, err := openDesk(ctx, e, "ticket tag", true, anyArgs, func(fs *flag.FlagSet) {
		remove = fs.Bool("remove", false, "take the tags off instead")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if len(c.pos) < 2 {
		return c.usage()
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
		for _, tag := range c.pos[1:] {
			op := o.AddTag
			if *remove {
				op = o.RemoveTag
			}
			if err := op(t, tag); err != nil {
				return err
			}
		}
		return nil
	})
}

func ticketAssign(ctx context.Context, e env) error {
	var note, dept *string
	var none *bool
	c, err := openDesk(ctx, e, "ticket assign", true, anyArgs, func(fs *flag.FlagSet) {
		note = fs.String("note", "", "a note for the new assignee, sent with the notice")
		dept = fs.String("department", "", "give it to a department instead, unassigning its member")
		none = fs.Bool("none", false, "unassign it (it stays with its department)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	switch {
	case *none || *dept != "":
		if len(c.pos) != 1 || (*none && *dept != "") {
			return c.usage()
		}
		return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
			if *none {
				return o.Unassign(t)
			}
			return o.AssignDepartment(t, *dept, *note)
		})
	}
	if len(c.pos) != 2 {
		return c.usage()
	}
	m, found, err := c.st.CachedMember(ctx, c.prop, strings.TrimSpace(c.pos[1]))
	if err != nil {
		return err
	}
	if !found {
		return errors.New(c.pos[1] + " is not a member of " + c.prop.Slug)
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Assign(t, m, *note) })
}

func ticketSnooze(ctx context.Context, e env) error {
	var dur *time.Duration
	var until *string
	c, err := openDesk(ctx, e, "ticket snooze", true, 1, func(fs *flag.FlagSet) {
		dur = fs.Duration("for", 0, "how long: 5m, 30m, 1h, 4h, 24h or any duration")
		until = fs.String("until", "", "until when: 2006-01-02, 2006-01-02T15:04 (UTC) or RFC 3339")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	at, err := wakeTime(e.now(), *dur, *until)
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Snooze(t, at) })
}

// wakeTime reads --for or --until: exactly one.
func wakeTime(now time.Time, d time.Duration, until string) (time.Time, error) {
	switch {
	case (d != 0) == (until != ""):
		return time.Time{}, errors.New("give exactly one of --for DURATION and --until TIME")
	case d != 0:
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, until); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("--until " + until + ": want 2006-01-02, 2006-01-02T15:04 (UTC) or RFC 3339")
}

func ticketClose(ctx context.Context, e env) error {
	var reason *string
	c, err := openDesk(ctx, e, "ticket close", true, 1, func(fs *flag.FlagSet) {
		reason = fs.String("reason", "resolved", "resolved or cancelled")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	r, err := ticket.ParseCloseReason(*reason)
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, r) })
}

func ticketReopen(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket reopen", true, 1, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Reopen(t) })
}
