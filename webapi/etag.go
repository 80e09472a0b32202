package webapi

import (
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// noneMatch reports whether an If-None-Match header (RFC 9110 §13.1.2)
// matches tag, compared weakly: "W/" is ignored.
func noneMatch(header, tag string) bool {
	header = strings.TrimSpace(header)
	if header == "*" {
		return true
	}
	for _, v := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(v), "W/") == tag {
			return true
		}
	}
	return false
}

// onTicket runs fn as the caller on the ticket numbered in the path, in one
// desk transaction (desk.Do), once the request's If-Match holds for the
// ticket as read in that transaction: a stale one gets 412 and nothing
// changes.
func (c *call) onTicket(fn func(*desk.Op, *ticket.Ticket) error) error {
	n, err := c.pathInt("n")
	if err != nil {
		return err
	}
	cond := c.r.Header.Get("If-Match")
	_, err = c.s.desk.Do(c.r.Context(), c.prop, c.actor(), n, func(o *desk.Op, t *ticket.Ticket) error {
		if err := desk.IfMatch(o.Tx, cond, *t); err != nil {
			return err
		}
		return fn(o, t)
	})
	return err
}

// change runs fn as onTicket does and answers the ticket as the
// transaction left it, with its new ETag.
func (c *call) change(fn func(*desk.Op, *ticket.Ticket) error) error {
	var out ticket.Ticket
	var tag string
	err := c.onTicket(func(o *desk.Op, t *ticket.Ticket) error {
		if err := fn(o, t); err != nil {
			return err
		}
		var err error
		out, tag, err = desk.Reread(o.Tx, t.PropertyID, t.ID)
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", tag)
	return c.ok(out)
}
