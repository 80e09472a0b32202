package webapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// ticketPatch is a PATCH of a ticket: each field given is a change, the
// operation of the CLI's command of that name.
type ticketPatch struct {
	Priority *string `json:"priority,omitempty"` // lowest … highest (ticket priority)
	// Status is open (ticket reopen), closed (ticket close, with
	// CloseReason resolved or cancelled) or snoozed (ticket snooze, with
	// SnoozedUntil or SnoozeFor, a duration such as "4h").
	Status       *string    `json:"status,omitempty"`
	CloseReason  *string    `json:"close_reason,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	SnoozeFor    *string    `json:"snooze_for,omitempty"`
	// Assignee is a member's address; null or "" assigns nobody (ticket
	// assign --none).
	Assignee json.RawMessage `json:"assignee,omitempty"`
	// Department gives the ticket to a department (ticket assign
	// --department); Note goes with the reassignment's notice.
	Department *string  `json:"department,omitempty"`
	Note       *string  `json:"note,omitempty"`
	Topic      *string  `json:"topic,omitempty"` // "" takes the topic off
	AddTags    []string `json:"add_tags,omitempty"`
	RemoveTags []string `json:"remove_tags,omitempty"`
	// Fields sets custom fields: name → value, "" clears one.
	Fields map[string]string `json:"fields,omitempty"`
}

// patchTicket applies every change of the patch in one desk transaction:
// if one is refused, none is made.
func (s *Server) patchTicket(c *call) error {
	var p ticketPatch
	if err := c.readJSON(&p); err != nil {
		return err
	}
	apply, err := p.plan(s.now())
	if err != nil {
		return err
	}
	return c.change(apply)
}

// plan checks the patch as a whole and returns the function that applies
// it, in this order: department, assignee, priority, topic, tags, fields,
// and the status last (so a ticket is changed and then closed).
func (p ticketPatch) plan(now time.Time) (func(*desk.Op, *ticket.Ticket) error, error) {
	var steps []func(*desk.Op, *ticket.Ticket) error
	add := func(f func(*desk.Op, *ticket.Ticket) error) { steps = append(steps, f) }
	assignee, unassign, err := p.assignee()
	if err != nil {
		return nil, err
	}
	note := ""
	if p.Note != nil {
		if p.Department == nil && assignee == "" {
			return nil, invalidInput("note goes with a reassignment: give assignee or department")
		}
		note = *p.Note
	}
	if p.Department != nil {
		dept := *p.Department
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.AssignDepartment(t, dept, note) })
	}
	switch {
	case unassign:
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.Unassign(t) })
	case assignee != "":
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.AssignTo(t, assignee, note) })
	}
	if p.Priority != nil {
		prio, err := ticket.ParsePriority(*p.Priority)
		if err != nil {
			return nil, invalidInput("priority: %v", err)
		}
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.SetPriority(t, prio) })
	}
	if p.Topic != nil {
		topic := strings.TrimSpace(*p.Topic)
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.SetTopic(t, topic) })
	}
	for _, tag := range p.AddTags {
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.AddTag(t, tag) })
	}
	for _, tag := range p.RemoveTags {
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.RemoveTag(t, tag) })
	}
	for _, name := range slices.Sorted(maps.Keys(p.Fields)) {
		value := p.Fields[name]
		add(func(o *desk.Op, t *ticket.Ticket) error { return o.SetField(t, name, value) })
	}
	status, err := p.status(now)
	if err != nil {
		return nil, err
	}
	if status != nil {
		add(status)
	}
	if len(steps) == 0 {
		return nil, invalidInput("the patch changes nothing: give priority, status, assignee, department, topic, add_tags, remove_tags or fields")
	}
	return func(o *desk.Op, t *ticket.Ticket) error {
		for _, step := range steps {
			if err := step(o, t); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// assignee reads the patch's assignee: an address, or null or "" for
// nobody (unassign).
func (p ticketPatch) assignee() (email string, unassign bool, err error) {
	raw := bytes.TrimSpace(p.Assignee)
	if len(raw) == 0 {
		return "", false, nil
	}
	if string(raw) == "null" {
		return "", true, nil
	}
	if err := json.Unmarshal(raw, &email); err != nil {
		return "", false, badRequest("assignee: want a member's address, or null or \"\" for nobody")
	}
	email = strings.TrimSpace(email)
	return email, email == "", nil
}

// status reads the patch's status and what goes with it, and returns the
// step that sets it (nil when the status is not changed).
func (p ticketPatch) status(now time.Time) (func(*desk.Op, *ticket.Ticket) error, error) {
	if p.Status == nil {
		if p.CloseReason != nil || p.SnoozedUntil != nil || p.SnoozeFor != nil {
			return nil, invalidInput("close_reason, snoozed_until and snooze_for go with a status")
		}
		return nil, nil
	}
	st := strings.ToLower(strings.TrimSpace(*p.Status))
	if st != string(ticket.StatusClosed) && p.CloseReason != nil {
		return nil, invalidInput("close_reason goes with status closed")
	}
	if st != string(ticket.StatusSnoozed) && (p.SnoozedUntil != nil || p.SnoozeFor != nil) {
		return nil, invalidInput("snoozed_until and snooze_for go with status snoozed")
	}
	switch ticket.Status(st) {
	case ticket.StatusOpen:
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Reopen(t) }, nil
	case ticket.StatusClosed:
		reason := ""
		if p.CloseReason != nil {
			reason = *p.CloseReason
		}
		r, err := ticket.ParseCloseReason(reason)
		if err != nil {
			return nil, invalidInput("close_reason: %v", err)
		}
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, r) }, nil
	case ticket.StatusSnoozed:
		until, err := p.wake(now)
		if err != nil {
			return nil, err
		}
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Snooze(t, until) }, nil
	}
	return nil, invalidInput("status %q: a patch sets open, closed or snoozed (answered follows an answer; delete and spam have their own routes)", *p.Status)
}

// wake is when a snoozed ticket wakes: exactly one of snoozed_until and
// snooze_for.
func (p ticketPatch) wake(now time.Time) (time.Time, error) {
	switch {
	case (p.SnoozedUntil == nil) == (p.SnoozeFor == nil):
		return time.Time{}, invalidInput("status snoozed: give exactly one of snoozed_until (RFC 3339) and snooze_for (a duration: 30m, 4h)")
	case p.SnoozedUntil != nil:
		return *p.SnoozedUntil, nil
	}
	d, err := time.ParseDuration(*p.SnoozeFor)
	if err != nil || d <= 0 {
		return time.Time{}, invalidInput("snooze_for %q: want a positive duration such as 30m or 4h", *p.SnoozeFor)
	}
	return now.Add(d), nil
}

func (s *Server) deleteTicket(c *call) error {
	return c.change(func(o *desk.Op, t *ticket.Ticket) error { return o.Delete(t) })
}

func (s *Server) undeleteTicket(c *call) error {
	return c.change(func(o *desk.Op, t *ticket.Ticket) error { return o.Undelete(t) })
}

func (s *Server) markSpam(c *call) error {
	return c.change(func(o *desk.Op, t *ticket.Ticket) error { return o.MarkSpam(t) })
}

func (s *Server) unmarkSpam(c *call) error {
	return c.change(func(o *desk.Op, t *ticket.Ticket) error { return o.UnmarkSpam(t) })
}

// mergeRequest names the ticket to merge into.
type mergeRequest struct {
	Into int64 `json:"into"` // the ticket number
}

// mergeTicket merges the path's ticket into another (desk's Op.Merge, as
// `ticket merge` does) and answers the other as it then is. If-Match is
// about the path's ticket, the one merged away.
func (s *Server) mergeTicket(c *call) error {
	var req mergeRequest
	if err := c.readJSON(&req); err != nil {
		return err
	}
	if req.Into <= 0 {
		return invalidInput("into: want the number of the ticket to merge into")
	}
	var out ticket.Ticket
	var tag string
	err := c.onTicket(func(o *desk.Op, t *ticket.Ticket) error {
		into, found, err := o.Tx.TicketByNumber(o.Prop().ID, req.Into)
		if err != nil {
			return err
		}
		if !found {
			return invalidInput("ticket #%d of %s does not exist", req.Into, o.Prop().Slug)
		}
		if err := o.Merge(t, &into); err != nil {
			return err
		}
		out, tag, err = desk.Reread(o.Tx, into.PropertyID, into.ID)
		return err
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Location", ticketURL(c.prop.Slug, out.Number))
	c.w.Header().Set("ETag", tag)
	return c.ok(out)
}

// splitRequest names the message to move off.
type splitRequest struct {
	MessageID int64 `json:"message_id"` // the message's id (GET of the ticket lists them)
}

// splitTicket moves one message of the path's ticket off into a new ticket
// (desk's Op.Split, as `ticket split` does) and answers the new ticket.
func (s *Server) splitTicket(c *call) error {
	var req splitRequest
	if err := c.readJSON(&req); err != nil {
		return err
	}
	if req.MessageID <= 0 {
		return invalidInput("message_id: want the id of one of the ticket's messages")
	}
	var out ticket.Ticket
	var tag string
	err := c.onTicket(func(o *desk.Op, t *ticket.Ticket) error {
		nt, err := o.Split(t, req.MessageID)
		if err != nil {
			return err
		}
		out, tag, err = desk.Reread(o.Tx, nt.PropertyID, nt.ID)
		return err
	})
	if err != nil {
		return err
	}
	return c.created(out, tag)
}

// created answers a new ticket with 201, its Location and its ETag.
func (c *call) created(t ticket.Ticket, tag string) error {
	c.w.Header().Set("Location", ticketURL(c.prop.Slug, t.Number))
	c.w.Header().Set("ETag", tag)
	return c.writeJSON(http.StatusCreated, t)
}

// ticketURL is the path of ticket n of the property slug.
func ticketURL(slug string, n int64) string {
	return strings.Replace(strings.Replace(ticketPath, "{prop}", slug, 1), "{n}", strconv.FormatInt(n, 10), 1)
}
