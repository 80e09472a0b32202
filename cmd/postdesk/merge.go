package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ticketMerge merges one ticket into another.
func ticketMerge(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket merge", true, 2, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	source, err := ticketNumber(c.pos[0])
	if err != nil {
		return err
	}
	target, err := ticketNumber(c.pos[1])
	if err != nil {
		return err
	}
	t, err := c.desk.Merge(ctx, c.prop, c.actor, source, target)
	if err != nil {
		return err
	}
	return c.printTicket(e, t)
}

// ticketSplit moves one message of a ticket off into a new ticket and
// prints the new ticket.
func ticketSplit(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "ticket split", true, 2, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	n, err := ticketNumber(c.pos[0])
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(c.pos[1]), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a message id (ticket show lists them: --- message ID)", c.pos[1])
	}
	t, err := c.desk.Split(ctx, c.prop, c.actor, n, id)
	if err != nil {
		return err
	}
	return c.printTicket(e, t)
}
