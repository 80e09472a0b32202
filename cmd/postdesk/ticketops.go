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
	const syn = "ticket priority N lowest|low|medium|high|highest --as EMAIL"
	c, err := openDesk(ctx, e, "ticket priority", syn, true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(2, syn); err != nil {
		return err
	}
	p, err := ticket.ParsePriority(c.pos[1])
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.SetPriority(t, p) })
}

func ticketTag(ctx context.Context, e env) error {
	const syn = "ticket tag N [--remove] TAG... --as EMAIL"
	var remove *bool
	c, err := openDesk(ctx, e, "ticket tag", syn, true, func(fs *flag.FlagSet) {
		remove = fs.Bool("remove", false, "take the tags off instead")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if len(c.pos) < 2 {
		return errors.New("usage: postdesk " + syn)
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
	const syn = "ticket assign N (MEMBER-EMAIL | --department NAME | --none) [--note TEXT] --as EMAIL"
	var note, dept *string
	var none *bool
	c, err := openDesk(ctx, e, "ticket assign", syn, true, func(fs *flag.FlagSet) {
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
		if err := c.args(1, syn); err != nil || (*none && *dept != "") {
			return errors.New("usage: postdesk " + syn)
		}
		return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
			if *none {
				return o.Unassign(t)
			}
			return o.AssignDepartment(t, *dept, *note)
		})
	}
	if err := c.args(2, syn); err != nil {
		return err
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
	const syn = "ticket snooze N (--for DURATION | --until TIME) --as EMAIL"
	var dur *time.Duration
	var until *string
	c, err := openDesk(ctx, e, "ticket snooze", syn, true, func(fs *flag.FlagSet) {
		dur = fs.Duration("for", 0, "how long: 5m, 30m, 1h, 4h, 24h or any duration")
		until = fs.String("until", "", "until when: 2006-01-02, 2006-01-02T15:04 (UTC) or RFC 3339")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
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
	const syn = "ticket close N [--reason resolved|cancelled] --as EMAIL"
	var reason *string
	c, err := openDesk(ctx, e, "ticket close", syn, true, func(fs *flag.FlagSet) {
		reason = fs.String("reason", "resolved", "resolved or cancelled")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
	r, err := ticket.ParseCloseReason(*reason)
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, r) })
}

func ticketReopen(ctx context.Context, e env) error {
	const syn = "ticket reopen N --as EMAIL"
	c, err := openDesk(ctx, e, "ticket reopen", syn, true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.args(1, syn); err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.Reopen(t) })
}
