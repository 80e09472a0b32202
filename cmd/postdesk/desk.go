package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// deskCmd is what a command that works tickets has: the store and its
// flags (admin), the property, the acting member and the desk.
type deskCmd struct {
	*admin
	prop  ticket.Property
	actor desk.Actor
	desk  *desk.Desk
	name  string // the command, for its usage line (see helps)
}

// anyArgs is openDesk's nargs of a command that checks its positional
// arguments itself.
const anyArgs = -1

// openDesk parses a desk command: its own flags (define), --property, --as
// EMAIL (the acting member, required when acting is true) and --json, and
// nargs positional arguments (or anyArgs). -h shows these and the
// command's usage line (helps), not the settings of serve. The caller
// closes c.st.
func openDesk(ctx context.Context, e env, name string, acting bool, nargs int, define func(*flag.FlagSet)) (*deskCmd, error) {
	var as *string
	a, p, err := openForProperty(ctx, e, name, func(fs *flag.FlagSet) {
		ownFlagsUsage(fs, synopsisOf(name))
		as = fs.String("as", "", "the member who acts (her address); every change records who made it")
		if define != nil {
			define(fs)
		}
	})
	if err != nil {
		return nil, err
	}
	c := &deskCmd{admin: a, prop: p, name: name}
	if nargs != anyArgs && len(c.pos) != nargs {
		a.st.Close()
		return nil, c.usage()
	}
	if err := c.open(ctx, e, *as, acting); err != nil {
		a.st.Close()
		return nil, err
	}
	return c, nil
}

// open resolves --as and builds the desk.
func (c *deskCmd) open(ctx context.Context, e env, as string, acting bool) error {
	if as == "" && acting {
		return errors.New("--as EMAIL is required: the member who makes the change")
	}
	var err error
	if c.actor, err = memberActor(ctx, c.st, c.prop, as); err != nil {
		return err
	}
	keys, err := threadKeys(ctx, c.cfg, c.st)
	if err != nil {
		return err
	}
	c.desk = desk.New(desk.Options{Store: c.st, Keys: keys, Now: e.now})
	return nil
}

// memberActor is the member --as names (her address), acting; the zero
// Actor when as is empty.
func memberActor(ctx context.Context, st *store.Store, prop ticket.Property, as string) (desk.Actor, error) {
	if as = strings.TrimSpace(as); as == "" {
		return desk.Actor{}, nil
	}
	m, found, err := st.CachedMember(ctx, prop, as)
	if err != nil {
		return desk.Actor{}, err
	}
	if !found {
		return desk.Actor{}, fmt.Errorf("--as %s: not a member of %s", as, prop.Slug)
	}
	return desk.AsMember(m), nil
}

// ticketNumber reads a ticket number, "12" or "#12".
func ticketNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a ticket number", s)
	}
	return n, nil
}

// usage is the error of a command given the wrong arguments.
func (c *deskCmd) usage() error {
	return fmt.Errorf("usage: postdesk %s", synopsisOf(c.name))
}

// change runs one desk operation on the ticket named by the first
// positional argument and prints the ticket as it then is.
func (c *deskCmd) change(ctx context.Context, e env, fn func(*desk.Op, *ticket.Ticket) error) error {
	n, err := ticketNumber(c.pos[0])
	if err != nil {
		return err
	}
	t, err := c.desk.Do(ctx, c.prop, c.actor, n, fn)
	if err != nil {
		return err
	}
	return c.printTicket(e, t)
}

// printTicket prints one ticket's state after a change.
func (c *deskCmd) printTicket(e env, t ticket.Ticket) error {
	return c.print(e.stdout, t, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Ref(), statusCell(t), t.Priority, cell(orDash(t.Assignee)), cell(t.Subject))
	})
}

// listOf runs a command that lists one kind of a property's rows (topics,
// saved replies, fields): it takes no arguments, loads the rows and prints
// them as JSON, or as a table of header and one row line each.
func listOf[T any](ctx context.Context, e env, name string, load func(context.Context, *deskCmd) ([]T, error), header string, row func(T) string) error {
	c, err := openDesk(ctx, e, name, false, 0, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	rows, err := load(ctx, c)
	if err != nil {
		return err
	}
	return c.print(e.stdout, nonNil(rows), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, header)
		for _, r := range rows {
			fmt.Fprintln(w, row(r))
		}
	})
}
