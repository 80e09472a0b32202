package webapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// etag is a ticket's entity tag (RFC 9110 §8.8.3): a strong validator made
// of what the ticket's GET shows, not of a timestamp: the ticket's row with
// its custom fields, its participants, and its marks (the newest message,
// event and bounce). Any change to these gives another tag; the same state
// always gives the same one, whichever read made it.
func etag(t ticket.Ticket, participants []ticket.Contact, m store.TicketMarks) (string, error) {
	b, err := json.Marshal(struct {
		T ticket.Ticket     `json:"t"`
		P []ticket.Contact  `json:"p"`
		M store.TicketMarks `json:"m"`
	}{t, participants, m})
	if err != nil {
		return "", fmt.Errorf("ticket etag: %w", err)
	}
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`, nil
}

// txState is ticket t as transaction tx sees it: with its custom fields,
// and its ETag.
func txState(tx *store.Tx, t ticket.Ticket) (ticket.Ticket, string, error) {
	var err error
	if t.Fields, err = tx.FieldValues(t.PropertyID, ticket.FieldForTicket, t.ID); err != nil {
		return t, "", err
	}
	parts, err := tx.Participants(t.ID)
	if err != nil {
		return t, "", err
	}
	marks, err := tx.TicketMarks(t.ID)
	if err != nil {
		return t, "", err
	}
	tag, err := etag(t, parts, marks)
	return t, tag, err
}

// reread is ticket id as the transaction left it, with its fields and
// ETag: what a change answers.
func reread(tx *store.Tx, propertyID, id int64) (ticket.Ticket, string, error) {
	t, found, err := tx.TicketByID(propertyID, id)
	if err != nil {
		return t, "", err
	}
	if !found {
		return t, "", fmt.Errorf("ticket id %d: %w", id, store.ErrNotFound)
	}
	return txState(tx, t)
}

// ifMatch checks an If-Match header (RFC 9110 §13.1.1) against ticket t as
// the transaction read it: "*" matches any ticket, else one of the listed
// tags must be t's, compared strongly (a weak tag never matches). No
// header is no condition.
func ifMatch(tx *store.Tx, header string, t ticket.Ticket) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil
	}
	if header == "*" {
		return nil
	}
	_, tag, err := txState(tx, t)
	if err != nil {
		return err
	}
	for _, v := range strings.Split(header, ",") {
		if strings.TrimSpace(v) == tag {
			return nil
		}
	}
	return errPrecondition
}

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
		if err := ifMatch(o.Tx, cond, *t); err != nil {
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
		out, tag, err = reread(o.Tx, t.PropertyID, t.ID)
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", tag)
	return c.ok(out)
}
