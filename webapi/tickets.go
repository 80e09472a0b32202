package webapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The ticket routes: the listing and one ticket's view (this file), its
// changes (ticketchange.go), the messages written on it (ticketwrite.go)
// and its files (ticketfiles.go). Each change is the desk operation the
// CLI's command runs, with the caller as its actor.

// ticketsPath is the collection of a property's tickets; a ticket is
// addressed by its number.
const (
	ticketsPath = "/api/properties/{prop}/tickets"
	ticketPath  = ticketsPath + "/{n}"
)

// listParams are the query parameters of the ticket listing, those of
// `postdesk ticket list`.
var listParams = []Param{
	{"folder", "string", "open, answered, snoozed, closed, deleted, spam or all (default: all, which leaves out deleted, spam and merged tickets)"},
	{"mine", "boolean", "only tickets assigned to the caller"},
	{"assignee", "string", "only tickets assigned to this member (address)"},
	{"unassigned", "boolean", "only tickets assigned to no one"},
	{"department", "string", "only tickets of this department (name)"},
	{"priority", "string", "only tickets of this priority: lowest, low, medium, high or highest"},
	{"tag", "string", "only tickets with this tag"},
	{"topic", "string", "only tickets of this topic"},
	{"overdue", "boolean", "only overdue tickets that are not closed"},
	{"requester", "string", "only tickets of this requester (address)"},
	{"q", "string", "full-text search: tickets whose mail or requester holds every word (accents and case ignored; foo* for a prefix)"},
	{"sort", "string", "activity (newest first, the default), due (soonest first) or priority (highest first)"},
	{"limit", "integer", "tickets per page, 1 to 500 (default 50)"},
	{"cursor", "string", "the next of the previous page"},
}

// ticketRoutes are the routes of a property's tickets.
func (s *Server) ticketRoutes() []route {
	return []route{
		{Route: Route{Method: "GET", Path: ticketsPath, Summary: "One page of the property's tickets, filtered, searched and sorted as `postdesk ticket list` does",
			Query: listParams, Response: Page[ticket.Ticket]{}}, access: member, h: s.listTickets},
		{Route: Route{Method: "POST", Path: ticketsPath, Summary: "Open a ticket by hand (as `ticket create`): JSON, or multipart/form-data with a \"ticket\" JSON part (or form fields) and files as attachments; 201 with Location",
			Request: newTicketRequest{}, Response: ticket.Ticket{}, Upload: true}, access: member, h: s.createTicket},
		{Route: Route{Method: "GET", Path: ticketPath, Summary: "A ticket with its custom fields, messages (attachments, threading decision), events, bounces and participants (where answers go); ETag, and 304 for a matching If-None-Match",
			Response: ticketView{}}, access: member, h: s.showTicket},
		{Route: Route{Method: "PATCH", Path: ticketPath, Summary: "Change a ticket: every change given, in one transaction, all or nothing; If-Match with a stale ETag gets 412",
			Request: ticketPatch{}, Response: ticket.Ticket{}}, access: member, h: s.patchTicket},
		{Route: Route{Method: "DELETE", Path: ticketPath, Summary: "Delete a ticket (admins); If-Match honoured",
			Response: ticket.Ticket{}}, access: admin, h: s.deleteTicket},
		{Route: Route{Method: "POST", Path: ticketPath + "/undelete", Summary: "Undelete a ticket (admins); If-Match honoured",
			Response: ticket.Ticket{}}, access: admin, h: s.undeleteTicket},
		{Route: Route{Method: "POST", Path: ticketPath + "/spam", Summary: "Mark a ticket and its requester's address as spam; If-Match honoured",
			Response: ticket.Ticket{}}, access: member, h: s.markSpam},
		{Route: Route{Method: "DELETE", Path: ticketPath + "/spam", Summary: "Unmark a ticket and its requester's address as spam; If-Match honoured",
			Response: ticket.Ticket{}}, access: member, h: s.unmarkSpam},
		{Route: Route{Method: "POST", Path: ticketPath + "/merge", Summary: "Merge the ticket into another; answers that one. If-Match (of the merged ticket) honoured",
			Request: mergeRequest{}, Response: ticket.Ticket{}}, access: member, h: s.mergeTicket},
		{Route: Route{Method: "POST", Path: ticketPath + "/split", Summary: "Move one message off into a new ticket; 201 with the new ticket and its Location. If-Match honoured",
			Request: splitRequest{}, Response: ticket.Ticket{}}, access: member, h: s.splitTicket},
		{Route: Route{Method: "POST", Path: ticketPath + "/replies", Summary: "Answer the customer (as `ticket reply`): JSON {text} or {template}, or multipart with files; 201 with the message. If-Match honoured",
			Request: replyRequest{}, Response: ticket.Message{}, Upload: true}, access: member, h: s.replyTicket},
		{Route: Route{Method: "POST", Path: ticketPath + "/notes", Summary: "Add an internal note (as `ticket note`): JSON {text}, or multipart with files; 201 with the message. If-Match honoured",
			Request: noteRequest{}, Response: ticket.Message{}, Upload: true}, access: member, h: s.noteTicket},
		{Route: Route{Method: "GET", Path: ticketPath + "/messages/{id}/raw", Summary: "A received message exactly as it came, as a download",
			Produces: "message/rfc822"}, access: member, h: s.rawMessage},
		{Route: Route{Method: "GET", Path: ticketPath + "/messages/{id}/attachments/{aid}", Summary: "An attachment, with its own type and name, as a download that never runs in the API's origin",
			Produces: "application/octet-stream"}, access: member, h: s.attachment},
	}
}

// listTickets answers one page of the listing, through the store call
// `ticket list` makes.
func (s *Server) listTickets(c *call) error {
	f, err := c.ticketFilter()
	if err != nil {
		return err
	}
	page, err := s.st.ListTickets(c.r.Context(), f)
	if err != nil {
		return err
	}
	items := page.Tickets
	if items == nil {
		items = []ticket.Ticket{}
	}
	return c.ok(Page[ticket.Ticket]{Items: items, Next: page.Next})
}

// ticketFilter reads the listing's query parameters, every one checked:
// an unknown one is refused rather than ignored.
func (c *call) ticketFilter() (store.TicketFilter, error) {
	q := c.r.URL.Query()
	known := map[string]bool{}
	for _, p := range listParams {
		known[p.Name] = true
	}
	for name, vs := range q {
		if !known[name] {
			return store.TicketFilter{}, badRequest("unknown query parameter %q", name)
		}
		if len(vs) > 1 {
			return store.TicketFilter{}, badRequest("query parameter %q given %d times: give it once", name, len(vs))
		}
	}
	f := store.TicketFilter{PropertyID: c.prop.ID, Assignee: q.Get("assignee"), Department: q.Get("department"),
		Tag: q.Get("tag"), Topic: q.Get("topic"), Requester: q.Get("requester"), Search: q.Get("q"), After: q.Get("cursor")}
	var err error
	if f.Limit, err = c.limit(); err != nil {
		return f, err
	}
	var mine bool
	for name, dst := range map[string]*bool{"mine": &mine, "unassigned": &f.Unassigned, "overdue": &f.Overdue} {
		if *dst, err = boolParam(q, name); err != nil {
			return f, err
		}
	}
	if folder := q.Get("folder"); folder != "" && !strings.EqualFold(folder, store.FolderAll) {
		st, err := ticket.ParseStatus(folder)
		if err != nil {
			return f, badRequest("folder: %v (or all)", err)
		}
		f.Folder = string(st)
	}
	if mine {
		if f.Assignee != "" {
			return f, badRequest("mine and assignee: give one")
		}
		f.Assignee = c.member.Email
	}
	if f.Unassigned && f.Assignee != "" {
		return f, badRequest("unassigned and an assignee exclude each other")
	}
	if p := q.Get("priority"); p != "" {
		if f.Priority, err = ticket.ParsePriority(p); err != nil {
			return f, badRequest("priority: %v", err)
		}
	}
	if f.Sort, err = store.ParseSort(q.Get("sort")); err != nil {
		return f, badRequest("sort: %v", err)
	}
	return f, nil
}

// boolParam reads a boolean query parameter: absent is false, present
// without a value (?mine) is true.
func boolParam(q map[string][]string, name string) (bool, error) {
	vs, ok := q[name]
	if !ok {
		return false, nil
	}
	if vs[0] == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(vs[0])
	if err != nil {
		return false, badRequest("%s %q: want true or false", name, vs[0])
	}
	return b, nil
}

// ticketView is one ticket as GET shows it: what `ticket show` shows.
type ticketView = desk.TicketView

// showTicket answers a ticket with all it holds, and its ETag; a matching
// If-None-Match gets 304 Not Modified (RFC 9110 §13.1.2).
func (s *Server) showTicket(c *call) error {
	n, err := c.pathInt("n")
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	v, err := desk.ReadTicketHead(ctx, s.st, c.prop, n)
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", v.ETag)
	if noneMatch(c.r.Header.Get("If-None-Match"), v.ETag) {
		c.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if err := v.ReadRest(ctx, s.st); err != nil {
		return err
	}
	v.Participants, v.Messages, v.Events, v.Bounces = nonNil(v.Participants), nonNil(v.Messages), nonNil(v.Events), nonNil(v.Bounces)
	return c.ok(v)
}

// nonNil is l, or an empty list for nil: JSON shows [] rather than null.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
