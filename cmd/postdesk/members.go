package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// The admin commands of the desk: a member's availability, capacity and
// role, and the property's settings. Admins make these changes (--as).

func memberSet(ctx context.Context, e env) error {
	var fs *flag.FlagSet
	var available *bool
	var capacity *int
	var role *string
	c, err := openDesk(ctx, e, "member set", false, 1, func(f *flag.FlagSet) {
		fs = f
		available = f.Bool("available", true, "whether she takes new tickets by round-robin")
		capacity = f.Int("capacity", 0, "the most open tickets round-robin gives her (0: no cap)")
		role = f.String("role", "", "agent or admin")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	var ch desk.MemberChange
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "available":
			ch.Available = available
		case "capacity":
			ch.Capacity = capacity
		}
	})
	if *role != "" {
		r, err := ticket.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		ch.Role = &r
	}
	if ch == (desk.MemberChange{}) {
		return fmt.Errorf("nothing to change: give --available, --capacity or --role")
	}
	m, err := c.desk.SetMember(ctx, c.prop, c.actor, strings.TrimSpace(c.pos[0]), ch)
	if err != nil {
		return err
	}
	return printMembers(c.admin, e, []ticket.Member{m})
}

func propertySet(ctx context.Context, e env) error {
	var fs *flag.FlagSet
	var onAnswer *bool
	c, err := openDesk(ctx, e, "property set", true, 0, func(f *flag.FlagSet) {
		fs = f
		onAnswer = f.Bool("assign-on-answer", true, "an unassigned ticket answered by an agent becomes hers")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "assign-on-answer" })
	if !set {
		return fmt.Errorf("nothing to change: give --assign-on-answer=true or =false")
	}
	if err := c.desk.SetAssignOnAnswer(ctx, c.prop, c.actor, *onAnswer); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "%s: assign on answer %v\n", c.prop.Slug, *onAnswer)
	return nil
}

// teamDesk is the desk and the actor of a team change (member add,
// department add): the member --as names, or, without --as, an unnamed
// actor naming the operating system user, which the desk lets set up only
// a property without an admin yet (desk.Desk.ManageTeam).
func teamDesk(ctx context.Context, e env, a *admin, p ticket.Property, as string) (*desk.Desk, desk.Actor, error) {
	actor, err := memberActor(ctx, a.st, p, as)
	if err != nil {
		return nil, actor, err
	}
	if actor.Kind == "" {
		who, err := actorName("", e)
		if err != nil {
			return nil, actor, err
		}
		actor = desk.Unnamed("team setup by " + who)
	}
	return desk.New(desk.Options{Store: a.st, Now: e.now}), actor, nil
}
